package keel.server.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import keel.server.statemachine.SnapshotRestore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keel snapshot restore|status}: etcdctl's (and etcdutl's) snapshot commands for the files
 * a Keel member's Maintenance Snapshot streams ({@code etcdctl snapshot save} writes them).
 */
@Command(name = "snapshot", description = "Restores or inspects a snapshot file that 'etcdctl snapshot save' wrote from"
    + " a Keel member.", subcommands = {SnapshotCommand.Restore.class, SnapshotCommand.Status.class})
public final class SnapshotCommand implements Callable<Integer> {
  @Spec
  private CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getErr().println("keel snapshot: missing subcommand (restore or status)");
    spec.commandLine().usage(spec.commandLine().getErr());
    return CliException.USAGE;
  }

  /** etcdctl's {@code snapshot restore}, with its flags and defaults. */
  @Command(name = "restore", description = "Creates the data dir of a member of a new cluster from a snapshot file.")
  static final class Restore implements Callable<Integer> {
    @Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE")
    private Path file;

    @Option(names = "--name", defaultValue = "default", description = "Human-readable name for this member")
    private String name;

    @Option(names = "--data-dir", description = "Path to the data directory (default: <name>.etcd)")
    private Path dataDir;

    @Option(names = "--initial-cluster", defaultValue = "default=http://localhost:2380",
        description = "Initial cluster configuration for restore bootstrap")
    private String initialCluster;

    @Option(names = "--initial-cluster-token", defaultValue = "etcd-cluster",
        description = "Initial cluster token for the etcd cluster during restore bootstrap")
    private String initialClusterToken;

    @Option(names = "--initial-advertise-peer-urls", defaultValue = "http://localhost:2380",
        description = "List of this member's peer URLs to advertise to the rest of the cluster")
    private String initialAdvertisePeerUrls;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Map<String, List<URI>> cluster;
      try {
        cluster = EtcdUrls.parseCluster(initialCluster);
      } catch (IllegalArgumentException e) {
        err.println("Error: " + e.getMessage());
        return CliException.INVALID_CONFIG;
      }
      if (!cluster.containsKey(name)) {
        err.println("Error: couldn't find local name \"" + name + "\" in the initial cluster configuration");
        return CliException.INVALID_CONFIG;
      }
      Path target = dataDir != null ? dataDir : Path.of(name + ".etcd");
      try {
        SnapshotRestore.Summary s = SnapshotRestore.restore(file, target);
        out.printf("restored snapshot %s into data dir %s for member %s of %s (cluster token %s): revision %d,"
            + " %d keys%n", file, target, name, cluster.keySet(), initialClusterToken, s.revision(), s.totalKeys());
        out.printf("start the member with --data-dir %s --name %s --initial-cluster %s --initial-cluster-token %s"
            + " --initial-advertise-peer-urls %s --initial-cluster-state new%n", target, name, initialCluster,
            initialClusterToken, initialAdvertisePeerUrls);
        return 0;
      } catch (IOException e) {
        err.println("Error: " + e.getMessage());
        return CliException.INVALID_CONFIG;
      }
    }
  }

  /** etcdctl's {@code snapshot status}: hash, revision, total keys, total size. */
  @Command(name = "status", description = "Gets backend snapshot status of a given file.")
  static final class Status implements Callable<Integer> {
    @Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE")
    private Path file;

    @Option(names = {"-w", "--write-out"}, defaultValue = "simple",
        description = "set the output format (simple, json, table)")
    private String format;

    @Override
    public Integer call() {
      SnapshotRestore.Summary s;
      try {
        s = SnapshotRestore.summary(file);
      } catch (IOException e) {
        spec.commandLine().getErr().println("Error: " + e.getMessage());
        return CliException.INVALID_CONFIG;
      }
      PrintWriter out = spec.commandLine().getOut();
      String hash = Long.toHexString(s.hash());
      switch (format) {
        case "simple" -> out.printf("%s, %d, %d, %s%n", hash, s.revision(), s.totalKeys(), bytes(s.totalSize()));
        case "json" -> out.printf("{\"hash\":%d,\"revision\":%d,\"totalKey\":%d,\"totalSize\":%d}%n",
            s.hash(), s.revision(), s.totalKeys(), s.totalSize());
        case "table" -> {
          String[] row = {hash, Long.toString(s.revision()), Long.toString(s.totalKeys()), bytes(s.totalSize())};
          String[] head = {"HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"};
          int[] w = new int[4];
          for (int i = 0; i < 4; i++) {
            w[i] = Math.max(row[i].length(), head[i].length());
          }
          String line = "+" + String.join("+", java.util.Arrays.stream(w).mapToObj(n -> "-".repeat(n + 2)).toList()) + "+";
          out.println(line);
          out.println(cells(head, w));
          out.println(line);
          out.println(cells(row, w));
          out.println(line);
        }
        default -> {
          spec.commandLine().getErr().println("Error: unsupported output format " + format);
          return CliException.USAGE;
        }
      }
      return 0;
    }

    private static String cells(String[] values, int[] widths) {
      StringBuilder b = new StringBuilder("|");
      for (int i = 0; i < values.length; i++) {
        int pad = widths[i] - values[i].length();
        b.append(' ').append(" ".repeat(pad / 2)).append(values[i]).append(" ".repeat(pad - pad / 2)).append(" |");
      }
      return b.toString();
    }

    /** As Go's humanize.Bytes, which etcdctl prints sizes with (SI units, e.g. "2.1 MB"). */
    static String bytes(long n) {
      if (n < 10) {
        return n + " B";
      }
      String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
      double e = Math.floor(Math.log(n) / Math.log(1000));
      double value = Math.floor(n / Math.pow(1000, e) * 10 + 0.5) / 10;
      return String.format(Locale.ROOT, value < 10 ? "%.1f %s" : "%.0f %s", value, units[(int) e]);
    }
  }
}
