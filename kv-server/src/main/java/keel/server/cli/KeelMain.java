package keel.server.cli;

import java.util.concurrent.Callable;
import keel.server.KeelServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code keel} command. Subcommands: {@code server} (etcd's flags), {@code snapshot}. A new subcommand is one
 * more {@code addSubcommand} line in {@link #commandLine}.
 */
@Command(name = "keel", mixinStandardHelpOptions = true, versionProvider = KeelVersion.class,
    description = "Keel: a pure-Java, Raft-replicated key-value store that speaks etcd's protocols.")
public final class KeelMain implements Callable<Integer> {

  /** Starts the member. */
  static final ServerLauncher LAUNCHER = KeelServer::start;

  @Spec
  private CommandSpec spec;

  public static void main(String[] args) {
    JvmDefaults.apply();
    // After SIGTERM the shutdown hook has closed the server and call() returns; System.exit then
    // waits for the hooks to finish, which is what we want.
    System.exit(commandLine(new ServerCommand(LAUNCHER)).execute(args));
  }

  /** The whole command tree, for main and for tests (which pass a fake launcher and environment). */
  public static CommandLine commandLine(ServerCommand server) {
    CommandLine keel = new CommandLine(new KeelMain());
    keel.addSubcommand("server", ServerCommand.configure(new CommandLine(server)));
    keel.addSubcommand("snapshot", new CommandLine(new SnapshotCommand()));
    return keel;
  }

  /** {@code keel} alone: a subcommand is required. */
  @Override
  public Integer call() {
    CommandLine cl = spec.commandLine();
    cl.getErr().println("keel: missing subcommand");
    cl.usage(cl.getErr());
    return CliException.USAGE;
  }
}
