package keel.perf.bench;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code keel bench <workload>}: Keel's own load generator (the main class of {@code
 * perf/target/keel-perf.jar}), with etcd's benchmark tool's workloads and flag names, for any etcd
 * v3 endpoint, Keel or etcd alike. Each workload is a subcommand; its flags are only those that
 * mean something to it, so a misspelt or misplaced flag is an error, not silently ignored.
 *
 * <pre>
 *   keel bench put --endpoints http://127.0.0.1:2379 --clients 100 --conns 10 --total 100000
 *   keel bench range --consistency s --endpoints ... --duration 30s --json
 * </pre>
 */
@Command(
    name = "keel bench",
    mixinStandardHelpOptions = true,
    synopsisSubcommandLabel = "WORKLOAD",
    description = "Load against etcd v3 endpoints (Keel or etcd): closed-loop clients over gRPC connections, "
        + "latency percentiles, throughput, errors, and the generator's own CPU share.",
    footer = {"", "Exit codes: 0 every request answered; 1 some failed (counted in the report) or the run could "
        + "not start; 2 bad flags."})
public final class BenchCommand implements Callable<Integer> {
  /** What runs once the flags are parsed: a {@link BenchRun}, or a test's recorder. */
  @FunctionalInterface
  interface Runner {
    int run(Target target, Load load, Workload workload) throws Exception;
  }

  @Spec
  CommandSpec spec;

  private final Runner runner;

  BenchCommand(Runner runner) {
    this.runner = runner;
  }

  public static void main(String[] args) {
    // jetcd logs a warning per failed request; the report counts them instead.
    if (System.getProperty("org.slf4j.simpleLogger.log.io.etcd.jetcd") == null) {
      System.setProperty("org.slf4j.simpleLogger.log.io.etcd.jetcd", "error");
    }
    int code = execute(args, System.out, System.err);
    System.exit(code);
  }

  /** Parses {@code args}, runs the workload, returns the exit code; the report goes to {@code out}. */
  static int execute(String[] args, PrintStream out, PrintStream err) {
    return execute(args, out, err, (target, load, workload) -> new BenchRun(target, load, workload, out, err).call());
  }

  static int execute(String[] args, PrintStream out, PrintStream err, Runner runner) {
    CommandLine cli = new CommandLine(new BenchCommand(runner));
    cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setParameterExceptionHandler(BenchCommand::badFlags);
    cli.setExecutionExceptionHandler((e, command, parsed) -> {
      if (e instanceof BenchException) {
        command.getErr().println("keel bench: " + e.getMessage());
      } else {
        command.getErr().println("keel bench: unexpected failure: " + e);
        e.printStackTrace(command.getErr());
      }
      return 1;
    });
    return cli.execute(args);
  }

  /** One line: what is wrong and where help is, then exit 2 (no usage screen burying the message). */
  private static int badFlags(ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    String name = command.getCommandSpec().qualifiedName();
    String message = e.getMessage().strip().replace('\n', ' ');
    if (e instanceof UnmatchedArgumentException unmatched && command.getParent() == null
        && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
      message = "unknown workload '" + unmatched.getUnmatched().get(0) + "': " + WORKLOADS;
    }
    command.getErr().println(name + ": " + message + " (see '" + name + " --help')");
    return CommandLine.ExitCode.USAGE;
  }

  private static final String WORKLOADS = "choose put, txn-put, range, watch-latency, lease-keepalive or mixed";

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "name a workload: " + WORKLOADS);
  }

  @Command(name = "put", mixinStandardHelpOptions = true,
      description = "Puts, one key-value per request (etcd's benchmark put).")
  int put(@Mixin TargetOptions target, @Mixin LoadOptions load, @Mixin KeyOptions key,
      @Mixin KeySpaceOptions space) throws Exception {
    Load l = load.load();
    return runner.run(target.target(), l, new PutWorkload(l, space.keys(key)));
  }

  @Command(name = "txn-put", mixinStandardHelpOptions = true,
      description = "Transactions of --txn-ops puts each, no compares (etcd's benchmark txn-put).")
  int txnPut(@Mixin TargetOptions target, @Mixin LoadOptions load, @Mixin KeyOptions key,
      @Mixin KeySpaceOptions space,
      @Option(names = "--txn-ops", defaultValue = "1", description = "Puts per transaction (default ${DEFAULT-VALUE}).")
      int txnOps) throws Exception {
    Load l = load.load();
    Keys keys = space.keys(key);
    if (txnOps < 1 || txnOps > keys.spaceSize()) {
      throw invalid("txn-put", "--txn-ops must be 1..--key-space-size (" + keys.spaceSize()
          + "): one transaction may not put one key twice; was " + txnOps);
    }
    return runner.run(target.target(), l, new TxnPutWorkload(l, keys, txnOps));
  }

  @Command(name = "range", mixinStandardHelpOptions = true,
      description = "Single-key reads of keys written once before the run (etcd's benchmark range).")
  int range(@Mixin TargetOptions target, @Mixin LoadOptions load, @Mixin KeyOptions key,
      @Mixin KeySpaceOptions space,
      @Option(names = "--consistency", defaultValue = "l", converter = Consistency.Converter.class,
          description = "l: linearizable, s: serializable (default ${DEFAULT-VALUE}).")
      Consistency consistency) throws Exception {
    Load l = load.load();
    return runner.run(target.target(), l, new RangeWorkload(l, space.keys(key), consistency));
  }

  @Command(name = "mixed", mixinStandardHelpOptions = true,
      description = "Reads and puts on one key space, --read-ratio of them reads; latency per kind too.")
  int mixed(@Mixin TargetOptions target, @Mixin LoadOptions load, @Mixin KeyOptions key,
      @Mixin KeySpaceOptions space,
      @Option(names = "--read-ratio", defaultValue = "0.9", description = "Share of reads, 0..1 (default ${DEFAULT-VALUE}).")
      double readRatio,
      @Option(names = "--consistency", defaultValue = "l", converter = Consistency.Converter.class,
          description = "Of the reads: l linearizable, s serializable (default ${DEFAULT-VALUE}).")
      Consistency consistency) throws Exception {
    if (!(readRatio >= 0 && readRatio <= 1)) {
      throw invalid("mixed", "--read-ratio must be between 0 and 1 (0.9: 90% reads), was " + readRatio);
    }
    Load l = load.load();
    return runner.run(target.target(), l,
        new MixedWorkload(l, space.keys(key), new ReadWriteChooser(readRatio), consistency));
  }

  @Command(name = "lease-keepalive", mixinStandardHelpOptions = true,
      description = "Lease renewals: one lease per client, renewed once per request (etcd's benchmark lease-keepalive).")
  int leaseKeepalive(@Mixin TargetOptions target, @Mixin LoadOptions load) throws Exception {
    Load l = load.load();
    return runner.run(target.target(), l, new LeaseKeepAliveWorkload(l));
  }

  @Command(name = "watch-latency", mixinStandardHelpOptions = true,
      description = "Put-to-event latency: --watchers watches, --clients putters each waiting for every watcher "
          + "to see its put before the next (etcd's benchmark watch-latency). Counts are events.")
  int watchLatency(@Mixin TargetOptions target, @Mixin LoadOptions load, @Mixin KeyOptions key,
      @Option(names = "--watchers", defaultValue = "1000",
          description = "Watches, spread over the connections (default ${DEFAULT-VALUE}).")
      int watchers) throws Exception {
    if (watchers < 1) {
      throw invalid("watch-latency", "--watchers must be at least 1, was " + watchers);
    }
    Load l = load.load();
    // one key per putter: a putter's events are told apart by their key
    Keys keys = key.keys(l.clients(), true, "--clients");
    return runner.run(target.target(), l, new WatchLatencyWorkload(l, keys, watchers));
  }

  private ParameterException invalid(String subcommand, String message) {
    return new ParameterException(spec.subcommands().get(subcommand), message);
  }
}
