package keel.agent.cli;

import keel.agent.demo.DemoCommand;
import keel.server.KeelServer;
import keel.server.cli.JvmDefaults;
import keel.server.cli.KeelMain;
import keel.server.cli.ServerCommand;
import picocli.CommandLine;

/**
 * The main class of {@code keel.jar}, the one jar the {@code keel} launcher and the image run:
 * {@code keel server} (etcd's flags), {@code keel agent} and {@code keel demo}.
 */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) {
    JvmDefaults.apply();
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    CommandLine keel = KeelMain.commandLine(new ServerCommand(KeelServer::start));
    keel.addSubcommand("agent", AgentCommand.configure(new CommandLine(new AgentCommand())));
    keel.addSubcommand("demo", DemoCommand.commandLine());
    return keel;
  }
}
