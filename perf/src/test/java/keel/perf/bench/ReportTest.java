package keel.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The report and the JSON rendered from known histograms. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReportTest {
  /** 1..1000 ms, one request each: percentiles are easy to state. */
  private static Histogram oneToAThousandMs() {
    Histogram h = new Histogram(3);
    for (int ms = 1; ms <= 1000; ms++) {
      h.recordValue(ms * 1000L);
    }
    return h;
  }

  private static Results results(Map<String, Long> errors, CpuMeter.Share cpu) {
    Histogram reads = oneToAThousandMs();
    Histogram writes = new Histogram(3);
    writes.recordValue(2000);
    Histogram all = reads.copy();
    all.add(writes);
    Map<String, Histogram> byOperation = new LinkedHashMap<>();
    byOperation.put("put", writes);
    byOperation.put("range", reads);
    Workload mixed = new MixedWorkload(new Load(10, RunLength.ofTotal(1003), 0), new Keys(8, 8, 1, false),
        new ReadWriteChooser(0.9), Consistency.LINEARIZABLE);
    return Results.of(mixed,
        new Target(List.of(URI.create("http://127.0.0.1:2379")), 2, java.time.Duration.ofSeconds(5), false, false),
        new Load(10, RunLength.ofTotal(1003), 0), "3.4.23",
        new Stats.Snapshot(byOperation, all, 0, errors), 2_000_000_000L, cpu);
  }

  private static final CpuMeter.Share QUIET = new CpuMeter.Share(1_000_000_000L, 2_000_000_000L, 2);

  @Test
  void latencyIsInMillisecondsFromMicroseconds() {
    Latency l = Latency.of(oneToAThousandMs());

    assertThat(l.min()).isEqualTo(1.0);
    assertThat(l.p50()).isEqualTo(500.223); // HdrHistogram's bucket at 3 significant digits
    assertThat(l.p90()).isBetween(899.0, 901.0);
    assertThat(l.p99()).isBetween(989.0, 991.0);
    assertThat(l.p999()).isBetween(998.0, 1001.0);
    assertThat(l.max()).isBetween(999.0, 1001.0);
    assertThat(l.mean()).isBetween(500.0, 501.0);
    assertThat(Latency.of(new Histogram(3))).isEqualTo(new Latency(0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void textHasEveryFigureAndEachOperation() {
    String text = Report.text(results(Map.of("etcdserver: too many requests", 2L), QUIET));

    assertThat(text).startsWith("keel bench mixed: 1003 requests, 10 clients over 2 connections to "
        + "http://127.0.0.1:2379 (server 3.4.23); read ratio 0.9, reads consistency l\n");
    assertThat(text).contains("  count          1001\n", "  errors         2\n",
        "           2  etcdserver: too many requests\n", "  duration       2.000 s\n",
        "  throughput     500.5 req/s\n", "  latency (ms)   min 1.000  p50 ",
        "    put          count 1  min 2.000", "    range        count 1000  min 1.000",
        "  generator CPU  25% of 2 processors\n");
    assertThat(text).doesNotContain("WARNING");
  }

  @Test
  void aBusyGeneratorIsWarnedAbout() {
    CpuMeter.Share busy = new CpuMeter.Share(3_400_000_000L, 2_000_000_000L, 2);

    assertThat(busy.share()).isEqualTo(0.85);
    assertThat(Report.text(results(Map.of(), busy))).contains("generator CPU  85% of 2 processors\n",
        "WARNING: the load generator itself used 85% of the CPU (2 processors): it, not the server, may be the bottleneck");
    assertThat(new CpuMeter.Share(1_600_000_000L, 1_000_000_000L, 2).mayBeBottleneck()).isFalse(); // exactly 80%
  }

  @Test
  void jsonHasTheSameFigures() throws Exception {
    String json = Report.json(results(Map.of("a \"quoted\"\nmessage", 3L), QUIET));

    assertThat(json).doesNotContain("\n");
    JsonNode root = new ObjectMapper().readTree(json);
    assertThat(root.get("workload").asText()).isEqualTo("mixed");
    assertThat(root.get("runLength").asText()).isEqualTo("1003 requests");
    assertThat(root.get("endpoints").get(0).asText()).isEqualTo("http://127.0.0.1:2379");
    assertThat(root.get("serverVersion").asText()).isEqualTo("3.4.23");
    assertThat(root.get("conns").asInt()).isEqualTo(2);
    assertThat(root.get("clients").asInt()).isEqualTo(10);
    assertThat(root.get("count").asLong()).isEqualTo(1001);
    assertThat(root.get("errors").asLong()).isEqualTo(3);
    assertThat(root.get("errorsByMessage").get("a \"quoted\"\nmessage").asLong()).isEqualTo(3);
    assertThat(root.get("durationSeconds").asDouble()).isEqualTo(2.0);
    assertThat(root.get("requestsPerSecond").asDouble()).isEqualTo(500.5);
    JsonNode latency = root.get("latencyMs");
    assertThat(latency.get("min").asDouble()).isEqualTo(1.0);
    assertThat(latency.get("p50").asDouble()).isEqualTo(500.223);
    assertThat(latency.has("p90") && latency.has("p99") && latency.has("p99.9") && latency.has("max")
        && latency.has("mean")).isTrue();
    assertThat(root.get("operations").get("range").get("count").asLong()).isEqualTo(1000);
    assertThat(root.get("operations").get("put").get("latencyMs").get("max").asDouble()).isEqualTo(2.0);
    assertThat(root.get("generatorCpu").get("share").asDouble()).isEqualTo(0.25);
    assertThat(root.get("generatorCpu").get("cpuSeconds").asDouble()).isEqualTo(1.0);
    assertThat(root.get("generatorCpu").get("processors").asInt()).isEqualTo(2);
    assertThat(root.get("generatorCpu").get("mayBeBottleneck").asBoolean()).isFalse();
  }

  @Test
  void jsonStringsEscapeWhatJsonMust() {
    assertThat(Report.string("a\"b\\c\td\u0001")).isEqualTo("\"a\\\"b\\\\c\\td\\u0001\"");
  }
}
