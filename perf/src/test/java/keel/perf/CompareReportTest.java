package keel.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareReportTest {
  /** The shape etcd's benchmark tool prints (its pkg/report), figures made up. */
  private static String report(double rps, double p50, double p99) {
    return String.join("\n",
        "",
        "Summary:",
        "  Total:\t2.0000 secs.",
        "  Slowest:\t0.2000 secs.",
        "  Fastest:\t0.0010 secs.",
        "  Average:\t0.0200 secs.",
        "  Stddev:\t0.0100 secs.",
        "  Requests/sec:\t" + rps,
        "",
        "Response time histogram:",
        "  0.0010 [1]\t|",
        "",
        "Latency distribution:",
        "  10% in 0.0010 secs.",
        "  50% in " + p50 + " secs.",
        "  90% in 0.0300 secs.",
        "  99% in " + p99 + " secs.",
        "  99.9% in 0.1900 secs.",
        "");
  }

  @Test
  void aRunIsReadFromTheToolsReportAndTheMembersProcFigures() {
    CompareReport.Run run = CompareReport.parse(report(12345.6789, 0.0123, 0.1500),
        List.of("11 100 1000", "12 200 2000"), List.of("11 350 4096", "12 200 8192"), 100).orElseThrow();
    assertThat(run.rps()).isEqualTo(12345.6789);
    assertThat(run.p50Ms()).isEqualTo(12.3, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(run.p99Ms()).isEqualTo(150.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(run.cpuSeconds()).containsExactly(2.5, 0.0);
    assertThat(run.rssKb()).containsExactly(4096L, 8192L);
  }

  @Test
  void aFailedRunWithoutThroughputIsLeftOut() {
    assertThat(CompareReport.parse("Error: context deadline exceeded\n", List.of(), List.of(), 100)).isEmpty();
  }

  @Test
  void rawOutputsBecomeMediansRatiosAndAChart(@TempDir Path raw) throws Exception {
    Files.writeString(raw.resolve("machine.txt"), "machine: test\nclock ticks per second: 100\n");
    Files.writeString(raw.resolve("commands.txt"), "common member flags: --snapshot-count 100000\n");
    Files.writeString(raw.resolve("put-1.command"), "benchmark --conns=1 --clients=1 put\n");
    double[][] rounds = {{1000, 900}, {1200, 300}, {1100, 600}};
    for (int round = 1; round <= 3; round++) {
      for (int t = 0; t < 2; t++) {
        String stem = "put-1." + CompareReport.TARGETS.get(t) + "." + round;
        Files.writeString(raw.resolve(stem + ".before"), "1 0 1024\n");
        Files.writeString(raw.resolve(stem + ".after"), "1 100 2048\n");
        Files.writeString(raw.resolve(stem + ".txt"), report(rounds[round - 1][t], 0.001, 0.002));
      }
    }
    Map<String, Map<String, List<CompareReport.Run>>> runs = CompareReport.read(raw);
    assertThat(CompareReport.median(runs.get("put-1").get("etcd"), CompareReport.Run::rps)).isEqualTo(1100);
    assertThat(CompareReport.median(runs.get("put-1").get("keel"), CompareReport.Run::rps)).isEqualTo(600);

    // The startup and memory samples of the same run sit beside the workloads' outputs.
    Files.writeString(raw.resolve("startup.txt"), "etcd fresh 0 0.40\nkeel fresh 0 3.60\n");
    Files.writeString(raw.resolve("memory.etcd.1.rss"), "11 100 204800\n");
    Files.writeString(raw.resolve("memory.keel.1.rss"), "21 100 409600\n");
    Files.writeString(raw.resolve("memory.etcd.1.bench"), report(20000, 0.01, 0.1));

    Path results = raw.resolve("RESULTS.md");
    Path chart = raw.resolve("chart.png");
    CompareReport.main(new String[] {raw.toString(), results.toString(), chart.toString()});
    String md = Files.readString(results);
    assertThat(md).contains("| put-1 | 1,100 (1,000-1,200) | 600 (300-900) | 0.55 |");
    assertThat(md).contains("benchmark --conns=1 --clients=1 put");
    assertThat(md).contains("| fresh | 0.40 (0.40-0.40) | 3.60 (3.60-3.60) | 9.00 |");
    assertThat(md).contains("| RSS after 100,000 keys | 200 (200-200) | 400 (400-400) | 2.00 |");
    assertThat(runs).containsOnlyKeys("put-1");
    assertThat(Files.size(chart)).isPositive();
    assertThat(javax.imageio.ImageIO.read(chart.toFile()).getWidth()).isGreaterThan(1000);
  }

  @Test
  void startsBecomeATableOfFreshAndRestartSeconds(@TempDir Path raw) throws Exception {
    Files.writeString(raw.resolve("startup.txt"), String.join("\n",
        "etcd fresh 0 0.50", "keel fresh 0 3.00",
        "etcd restart 1 0.40", "keel restart 1 2.00",
        "etcd fresh 1 0.70", "keel fresh 1 3.50",
        "etcd restart 2 0.60", "keel restart 2 4.00", ""));
    String table = CompareReport.startupTable(raw);
    assertThat(table).contains("| fresh | 0.60 (0.50-0.70) | 3.25 (3.00-3.50) | 5.42 |");
    assertThat(table).contains("| restart | 0.50 (0.40-0.60) | 3.00 (2.00-4.00) | 6.00 |");
    assertThat(table.indexOf("| restart")).isLessThan(table.indexOf("| fresh"));
  }

  @Test
  void noStartupFileMeansNoStartupTable(@TempDir Path raw) throws Exception {
    assertThat(CompareReport.startupTable(raw)).isEmpty();
  }

  @Test
  void theLargestMembersRssAfterTheFillBecomesTheMemoryRow(@TempDir Path raw) throws Exception {
    Files.writeString(raw.resolve("memory.etcd.1.rss"), "11 100 102400\n12 100 204800\n13 100 153600\n");
    Files.writeString(raw.resolve("memory.keel.1.rss"), "21 100 409600\n22 100 307200\n23 100 358400\n");
    assertThat(CompareReport.memoryTable(raw))
        .contains("| RSS after 100,000 keys | 200 (200-200) | 400 (400-400) | 2.00 |");
  }
}
