package keel.torture.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import keel.torture.Faults;
import keel.torture.TortureReport;
import keel.torture.TortureRun;
import keel.torture.TortureSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keel torture}: a long run of the fault checks. Exits 0 only when every checker passed;
 * the output directory keeps the history, the fault timeline, the report and every member's log.
 */
@Command(
    name = "keel torture",
    mixinStandardHelpOptions = true,
    description = "Runs a Keel cluster under faults with recorded workloads, then checks the histories "
        + "(linearizability, watches, leases, election fencing, convergence).")
public final class TortureCommand implements Callable<Integer> {
  @Option(names = "--duration", defaultValue = "30m", description = "How long to run under faults, e.g. 90s, 30m (default ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--seed", description = "Seed of every random choice (default: from the clock; printed).")
  Long seed;

  @Option(names = "--faults", split = ",", description = "Fault kinds, comma-separated (default: all of ${COMPLETION-CANDIDATES}; "
          + "all but kill, pause and transfer put the members in network namespaces, which needs root).",
      completionCandidates = FaultNames.class)
  List<String> faults;

  @Option(names = "--members", defaultValue = "3", description = "Cluster size (default ${DEFAULT-VALUE}).")
  int members;

  @Option(names = "--out", description = "Output directory (default: torture-<seed>).")
  Path out;

  @Option(names = "--break", split = ",", hidden = true,
      description = "Test only: break a guarantee on purpose (stale-reads, early-ack, drop-watch-event).")
  List<String> breaks;

  @Override
  public Integer call() throws Exception {
    long s = seed != null ? seed : System.currentTimeMillis();
    Path dir = out != null ? out : Path.of("torture-" + s);
    TortureSettings settings = TortureSettings.defaults(dir, parseDuration(duration), s).withMembers(members);
    List<String> chosen = faults != null ? faults : Faults.names();
    Faults.of(chosen); // unknown names fail here, before a cluster starts
    if (Faults.needNetns(chosen) && !"root".equals(System.getProperty("user.name"))) {
      System.err.println("keel torture: the network faults (" + String.join(", ", chosen)
          + ") put the members in network namespaces, which needs root; run as root or pick --faults "
          + String.join(",", Faults.LOCAL));
      return 2;
    }
    settings = settings.withFaults(chosen);
    if (breaks != null) {
      settings = settings.withBreaks(breaks);
    }
    System.out.println("keel torture: seed " + s + ", output " + dir.toAbsolutePath());
    TortureReport report = new TortureRun(settings).run();
    System.out.println(report.render());
    System.out.println(report.passed() ? "keel torture: PASSED" : "keel torture: FAILED (kept " + dir.toAbsolutePath() + ")");
    return report.passed() ? 0 : 1;
  }

  /** {@code 90s}, {@code 30m}, {@code 1h}, or ISO-8601 ({@code PT30M}). */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase();
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> Duration.parse(text);
      };
    } catch (RuntimeException e) {
      throw new CommandLine.TypeConversionException("invalid duration '" + text + "': use e.g. 90s, 30m, 1h");
    }
  }

  static final class FaultNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Faults.names().iterator();
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new TortureCommand()).execute(args));
  }
}
