package keel.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns the raw outputs of {@code perf/compare.sh} (etcd's benchmark tool, run on etcd and on Keel
 * round after round) into {@code perf/RESULTS.md} and a chart.
 *
 * <p>The raw directory holds {@code machine.txt}, {@code commands.txt}, and per workload
 * {@code NAME.command} and, per target ({@code etcd}, {@code keel}) and round,
 * {@code NAME.TARGET.ROUND.txt} (the tool's report), {@code .before} and {@code .after} (per member:
 * pid, CPU ticks, RSS in kB).
 *
 * <pre>
 *   java -cp perf/target/keel-perf.jar keel.perf.CompareReport RAW_DIR RESULTS.md CHART.png
 * </pre>
 */
public final class CompareReport {
  static final List<String> TARGETS = List.of("etcd", "keel");

  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern PERCENTILE = Pattern.compile("^\\s*([0-9.]+)% in ([0-9.]+) secs", Pattern.MULTILINE);
  private static final Pattern RAW_FILE = Pattern.compile("(.+)\\.(etcd|keel)\\.(\\d+)\\.txt");

  /** One run of the tool on one target: throughput, p50 and p99 in ms, CPU seconds and RSS per member. */
  record Run(double rps, double p50Ms, double p99Ms, double[] cpuSeconds, long[] rssKb) {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: CompareReport RAW_DIR RESULTS.md CHART.png");
      System.exit(2);
    }
    Path raw = Path.of(args[0]);
    Map<String, Map<String, List<Run>>> runs = read(raw);
    if (runs.isEmpty()) {
      System.err.println("CompareReport: no benchmark outputs (NAME.etcd.1.txt ...) in " + raw);
      System.exit(1);
    }
    Path chart = Path.of(args[2]);
    Files.writeString(Path.of(args[1]), markdown(raw, runs, chart, Path.of(args[1]).toAbsolutePath().getParent()));
    CompareChart.write(runs, chart);
  }

  /** workload -> target -> runs in round order; workloads in the order compare.sh ran them. */
  static Map<String, Map<String, List<Run>>> read(Path raw) throws IOException {
    long ticksPerSecond = clockTicks(raw);
    List<Matcher> files;
    try (Stream<Path> list = Files.list(raw)) {
      files = list.map(f -> RAW_FILE.matcher(f.getFileName().toString()))
          .filter(Matcher::matches)
          .sorted(Comparator.<Matcher, Long>comparing(m -> firstRan(raw, m.group(1)))
              .thenComparing(m -> m.group(1))
              .thenComparing(m -> TARGETS.indexOf(m.group(2)))
              .thenComparing(m -> Integer.parseInt(m.group(3))))
          .toList();
    }
    Map<String, Map<String, List<Run>>> runs = new LinkedHashMap<>();
    for (Matcher m : files) {
      String stem = m.group(1) + "." + m.group(2) + "." + m.group(3);
      parse(Files.readString(raw.resolve(stem + ".txt")), Files.readAllLines(raw.resolve(stem + ".before")),
          Files.readAllLines(raw.resolve(stem + ".after")), ticksPerSecond)
          .ifPresent(run -> runs.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>())
              .computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(run));
    }
    return runs;
  }

  /** When compare.sh began a workload: its {@code NAME.command} file's time (0 without one). */
  private static long firstRan(Path raw, String workload) {
    try {
      return Files.getLastModifiedTime(raw.resolve(workload + ".command")).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /** A run whose report has no throughput (the tool failed) is left out, and the table says how many rounds counted. */
  static Optional<Run> parse(String report, List<String> before, List<String> after, long ticksPerSecond) {
    Matcher rps = RPS.matcher(report);
    if (!rps.find()) {
      return Optional.empty();
    }
    Map<String, Double> percentiles = new LinkedHashMap<>();
    Matcher p = PERCENTILE.matcher(report);
    while (p.find()) {
      percentiles.put(p.group(1), Double.parseDouble(p.group(2)) * 1000);
    }
    double[] cpu = new double[after.size()];
    long[] rss = new long[after.size()];
    for (int i = 0; i < after.size(); i++) {
      String[] a = after.get(i).trim().split("\\s+");
      String[] b = i < before.size() ? before.get(i).trim().split("\\s+") : a;
      cpu[i] = (Long.parseLong(a[1]) - Long.parseLong(b[1])) / (double) ticksPerSecond;
      rss[i] = Long.parseLong(a[2]);
    }
    return Optional.of(new Run(Double.parseDouble(rps.group(1)), percentiles.getOrDefault("50", Double.NaN),
        percentiles.getOrDefault("99", Double.NaN), cpu, rss));
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> field) {
    return median(runs.stream().mapToDouble(field).toArray());
  }

  private static String markdown(Path raw, Map<String, Map<String, List<Run>>> runs, Path chart, Path resultsDir)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Keel beside etcd, measured by etcd's benchmark tool\n\n");
    md.append("Written by `perf/compare.sh` from the raw outputs in `")
        .append(relative(resultsDir, raw)).append("` (each tool report, each member's CPU and RSS).\n\n");
    md.append("```\n").append(Files.readString(raw.resolve("machine.txt")).strip()).append("\n")
        .append(Files.readString(raw.resolve("commands.txt")).strip()).append("\n```\n\n");
    md.append("Each workload first ran unmeasured on both (the warm-up passes above: a JVM compiles for minutes ")
        .append("before it runs at its steady speed, see ANALYSIS.md), then on etcd and on Keel, round after round; ")
        .append("a figure is the median of the rounds, ")
        .append("with the lowest and highest in brackets. A ratio is Keel's median over etcd's: above 1 is more ")
        .append("throughput (req/s) or more latency (p50, p99) than etcd.\n\n");
    md.append("Where the time goes, what closed part of the gap and what would close the rest: ")
        .append("[ANALYSIS.md](ANALYSIS.md) (hand-written, with the profiles behind it).\n\n");
    md.append("![throughput and p99 latency](").append(relative(resultsDir, chart)).append(")\n\n");
    md.append("| workload | etcd req/s | Keel req/s | ratio | etcd p50 ms | Keel p50 ms | ratio | etcd p99 ms | Keel p99 ms | ratio |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, Map<String, List<Run>>> w : runs.entrySet()) {
      List<Run> etcd = w.getValue().getOrDefault("etcd", List.of());
      List<Run> keel = w.getValue().getOrDefault("keel", List.of());
      md.append("| ").append(w.getKey());
      for (java.util.function.ToDoubleFunction<Run> field : List.<java.util.function.ToDoubleFunction<Run>>of(
          Run::rps, Run::p50Ms, Run::p99Ms)) {
        md.append(" | ").append(spread(etcd, field)).append(" | ").append(spread(keel, field))
            .append(" | ").append(ratio(keel, etcd, field));
      }
      md.append(" |\n");
    }
    md.append("\nCPU seconds each member used during a workload (median over rounds; members 1 / 2 / 3) ")
        .append("and its resident memory after it (highest over rounds, MiB):\n\n");
    md.append("| workload | etcd CPU s | Keel CPU s | etcd RSS MiB | Keel RSS MiB |\n|---|---|---|---|---|\n");
    for (Map.Entry<String, Map<String, List<Run>>> w : runs.entrySet()) {
      md.append("| ").append(w.getKey());
      for (String target : TARGETS) {
        md.append(" | ").append(perMember(w.getValue().getOrDefault(target, List.of()), true));
      }
      for (String target : TARGETS) {
        md.append(" | ").append(perMember(w.getValue().getOrDefault(target, List.of()), false));
      }
      md.append(" |\n");
    }
    md.append(startupTable(raw));
    md.append(memoryTable(raw));
    md.append("\nThe tool's command per workload (`--endpoints` all three members of the target):\n\n```\n");
    for (String name : runs.keySet()) {
      Path command = raw.resolve(name + ".command");
      md.append(name).append(": ").append(Files.exists(command) ? Files.readString(command).strip() : "?").append("\n");
    }
    md.append("```\n");
    return md.toString();
  }

  /**
   * The startup table from {@code startup.txt} (lines "target kind round seconds", written by
   * compare.sh), empty without one.
   */
  static String startupTable(Path raw) throws IOException {
    Path file = raw.resolve("startup.txt");
    if (!Files.exists(file)) {
      return "";
    }
    Map<String, Map<String, List<Double>>> seconds = new TreeMap<>(Comparator.reverseOrder()); // restart, fresh
    for (String line : Files.readAllLines(file)) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 4) {
        seconds.computeIfAbsent(f[1], k -> new TreeMap<>()).computeIfAbsent(f[0], k -> new ArrayList<>())
            .add(Double.parseDouble(f[3]));
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("\nStartup: seconds from launching the three members to all three answering `etcdctl endpoint health` ")
        .append("(median, lowest-highest; fresh: empty data dirs, the first start included; restart: every member ")
        .append("stopped by SIGTERM after the workloads, then launched again on its data):\n\n");
    md.append("| start | etcd s | Keel s | ratio |\n|---|---|---|---|\n");
    seconds.forEach((kind, byTarget) -> {
      double[] etcd = byTarget.getOrDefault("etcd", List.of()).stream().mapToDouble(Double::doubleValue).toArray();
      double[] keel = byTarget.getOrDefault("keel", List.of()).stream().mapToDouble(Double::doubleValue).toArray();
      md.append("| ").append(kind).append(" | ").append(spread(etcd)).append(" | ").append(spread(keel))
          .append(" | ").append(etcd.length == 0 || keel.length == 0 ? "-"
              : String.format(Locale.ROOT, "%.2f", median(keel) / median(etcd))).append(" |\n");
    });
    return md.toString();
  }

  /**
   * The memory table from {@code memory.TARGET.ROUND.rss} (compare.sh's proc samples taken once
   * 100,000 keys were written to a fresh cluster), empty without them.
   */
  static String memoryTable(Path raw) throws IOException {
    Map<String, List<Double>> largestMib = new TreeMap<>();
    Pattern name = Pattern.compile("memory\\.(etcd|keel)\\.\\d+\\.rss");
    try (Stream<Path> list = Files.list(raw)) {
      for (Path file : list.sorted().toList()) {
        Matcher m = name.matcher(file.getFileName().toString());
        if (m.matches()) {
          long kb = Files.readAllLines(file).stream().map(l -> l.trim().split("\\s+"))
              .filter(f -> f.length == 3).mapToLong(f -> Long.parseLong(f[2])).max().orElse(0);
          largestMib.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(kb / 1024.0);
        }
      }
    }
    if (largestMib.isEmpty()) {
      return "";
    }
    double[] etcd = largestMib.getOrDefault("etcd", List.of()).stream().mapToDouble(Double::doubleValue).toArray();
    double[] keel = largestMib.getOrDefault("keel", List.of()).stream().mapToDouble(Double::doubleValue).toArray();
    return "\nMemory: the largest member's RSS (MiB) once 100,000 keys of 256 B were written to a fresh cluster "
        + "(median over rounds, lowest-highest):\n\n| | etcd MiB | Keel MiB | ratio |\n|---|---|---|---|\n"
        + "| RSS after 100,000 keys | " + spread(etcd) + " | " + spread(keel) + " | "
        + (etcd.length == 0 || keel.length == 0 ? "-" : String.format(Locale.ROOT, "%.2f", median(keel) / median(etcd)))
        + " |\n";
  }

  private static String spread(double[] v) {
    if (v.length == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%s (%s-%s)", fmt(median(v)), fmt(Arrays.stream(v).min().orElseThrow()),
        fmt(Arrays.stream(v).max().orElseThrow()));
  }

  private static String spread(List<Run> runs, java.util.function.ToDoubleFunction<Run> field) {
    if (runs.isEmpty()) {
      return "-";
    }
    return spread(runs.stream().mapToDouble(field).toArray());
  }

  private static String ratio(List<Run> keel, List<Run> etcd, java.util.function.ToDoubleFunction<Run> field) {
    if (keel.isEmpty() || etcd.isEmpty()) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2f", median(keel, field) / median(etcd, field));
  }

  private static String perMember(List<Run> runs, boolean cpu) {
    if (runs.isEmpty()) {
      return "-";
    }
    int members = runs.get(0).cpuSeconds().length;
    List<String> each = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      int member = i;
      if (cpu) {
        each.add(fmt(median(runs.stream().mapToDouble(r -> r.cpuSeconds()[member]).toArray())));
      } else {
        each.add(String.valueOf(runs.stream().mapToLong(r -> r.rssKb()[member]).max().orElse(0) / 1024));
      }
    }
    return String.join(" / ", each);
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "?";
    }
    if (v >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static long clockTicks(Path raw) throws IOException {
    Matcher m = Pattern.compile("clock ticks per second: (\\d+)").matcher(Files.readString(raw.resolve("machine.txt")));
    return m.find() ? Long.parseLong(m.group(1)) : 100;
  }

  private static String relative(Path from, Path to) {
    return from.relativize(to.toAbsolutePath()).toString();
  }

  private CompareReport() {}
}
