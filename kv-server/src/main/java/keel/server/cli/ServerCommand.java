package keel.server.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import keel.server.KeelServer;
import keel.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code keel server [etcd flags]}: reads etcd 3.4's flags and {@code ETCD_*} variables into a
 * {@link ServerConfig}, starts the member through a {@link ServerLauncher}, and waits for
 * termination. Picocli only routes the arguments here: Go's flag syntax ({@code -name x}) is not
 * picocli's, so {@link ServerFlags} reads them.
 */
@Command(name = "server",
    description = "Start a Keel member. Takes etcd 3.4's flags and ETCD_* environment variables;"
        + " see 'keel server --help'.")
public final class ServerCommand implements Callable<Integer> {

  /** How {@code keel server} waits once the member runs; tests pass one that returns at once. */
  @FunctionalInterface
  public interface Termination {
    void await(AutoCloseable server) throws InterruptedException;

    /**
     * Waits for SIGTERM or SIGINT (any JVM shutdown; a shutdown hook closes the server), or for the
     * member to be removed from its cluster.
     */
    static Termination onShutdown() {
      return server -> {
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            server.close();
          } catch (Exception e) {
            System.err.println("keel: error while stopping the server: " + e);
          } finally {
            closed.countDown();
          }
        }, "keel-shutdown"));
        if (server instanceof KeelServer member) {
          // A member removed from its cluster stops by itself and the process exits (0), as etcd's.
          member.removed().thenRun(closed::countDown);
        }
        closed.await();
      };
    }
  }

  @Parameters(arity = "0..*", paramLabel = "FLAG", description = "etcd flags")
  private List<String> args = new ArrayList<>();

  @Spec
  private CommandSpec spec;

  private final ServerLauncher launcher;
  private final Map<String, String> env;
  private final Termination termination;

  /** The real command: the process environment, waiting for a shutdown signal. */
  public ServerCommand(ServerLauncher launcher) {
    this(launcher, System.getenv(), Termination.onShutdown());
  }

  public ServerCommand(ServerLauncher launcher, Map<String, String> env, Termination termination) {
    this.launcher = Objects.requireNonNull(launcher, "launcher");
    this.env = Map.copyOf(env);
    this.termination = Objects.requireNonNull(termination, "termination");
  }

  /**
   * Parses etcd flags with this command's environment, printing warnings to its stderr.
   *
   * @throws CliException when etcd would refuse the command line
   * @throws IllegalArgumentException when the arguments ask for help or the version instead
   */
  public ServerConfig parse(String... arguments) {
    ServerFlags.Outcome outcome = ServerFlags.parse(List.of(arguments), env);
    if (outcome.action() != ServerFlags.Action.RUN) {
      throw new IllegalArgumentException("arguments ask for " + outcome.action() + ", not a server");
    }
    PrintWriter err = err();
    outcome.warnings().forEach(err::println);
    err.flush();
    return outcome.config();
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = err();
    ServerFlags.Outcome outcome;
    try {
      outcome = ServerFlags.parse(args, env);
    } catch (CliException e) {
      report(e, err);
      return e.exitCode();
    }
    outcome.warnings().forEach(err::println);
    err.flush();
    switch (outcome.action()) {
      case HELP -> {
        out.print(ServerFlags.help());
        out.flush();
        return 0;
      }
      case VERSION -> {
        KeelVersion.lines().forEach(out::println);
        out.flush();
        return 0;
      }
      case RUN -> { }
    }
    AutoCloseable server;
    try {
      server = launcher.start(outcome.config());
    } catch (Exception e) {
      err.println("keel: failed to start the server: " + e.getMessage());
      if (!(e instanceof UnsupportedOperationException || e instanceof IllegalArgumentException
          || e instanceof java.io.IOException)) {
        e.printStackTrace(err); // the unexpected: once, with its stack
      }
      err.flush();
      return 1;
    }
    termination.await(server);
    return 0;
  }

  /** etcd's two ways of failing: Go's flag error + usage (2), or "error verifying flags" (1). */
  static void report(CliException e, PrintWriter err) {
    if (e.exitCode() == CliException.USAGE) {
      err.println(e.getMessage());
      err.println(ServerFlags.usageLine());
    } else {
      err.println("keel: error verifying flags, " + e.getMessage() + ". See 'keel server --help'.");
      if (e.getMessage().startsWith("--advertise-client-urls is required")) {
        err.println("keel: When listening on specific address(es), this member must advertise"
            + " accessible url(s) to each connected client.");
      }
    }
    err.flush();
  }

  private PrintWriter err() {
    return spec != null ? spec.commandLine().getErr() : new PrintWriter(System.err, true);
  }

  /** Picocli settings that hand every argument, verbatim, to {@link ServerFlags}. */
  static CommandLine configure(CommandLine server) {
    return server
        .setUnmatchedOptionsArePositionalParams(true)
        .setExpandAtFiles(false)
        // Go's "--" must reach ServerFlags (it ends etcd's flags); picocli would consume it.
        .setEndOfOptionsDelimiter("\u0000")
        .setOverwrittenOptionsAllowed(true);
  }
}
