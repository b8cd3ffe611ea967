package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The strict exposition parser MetricsIT relies on: it reads good pages and refuses broken ones. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PrometheusTextTest {
  private static final String HISTOGRAM = """
      # HELP fsync_seconds Time to \\\\sync\\n.
      # TYPE fsync_seconds histogram
      fsync_seconds_bucket{le="0.001"} 1
      fsync_seconds_bucket{le="0.002"} 3
      fsync_seconds_bucket{le="+Inf"} 4
      fsync_seconds_count 4
      fsync_seconds_sum 0.0045
      """;

  @Test
  void readsFamiliesLabelsEscapesAndSpecialValues() {
    PrometheusText.Page page = PrometheusText.parse(HISTOGRAM + """
        # TYPE handled_total counter
        handled_total{code="OK",method="Put"} 3.0
        handled_total{code="NotFound",method="Put",} 1 1700000000000
        # plain comment
        # TYPE info gauge
        info{text="a \\"quoted\\" \\\\ and\\nnewline"} NaN
        # TYPE gc_seconds summary
        gc_seconds{quantile="0.5"} 1.5E-4
        gc_seconds_count 2
        gc_seconds_sum 3e-4
        # TYPE up untyped
        up -Inf
        """);
    assertThat(page.families()).containsOnlyKeys("fsync_seconds", "handled_total", "info", "gc_seconds", "up");
    assertThat(page.family("fsync_seconds").help()).isEqualTo("Time to \\sync\n.");
    assertThat(page.value("fsync_seconds_count")).isEqualTo(4);
    assertThat(page.sum("handled_total", Map.of("method", "Put"))).isEqualTo(4);
    assertThat(page.sum("handled_total", Map.of("code", "NotFound"))).isEqualTo(1);
    assertThat(page.family("info").samples().get(0).labels()).containsEntry("text", "a \"quoted\" \\ and\nnewline");
    assertThat(page.value("gc_seconds_sum")).isEqualTo(3e-4);
    assertThat(page.value("up")).isEqualTo(Double.NEGATIVE_INFINITY);
  }

  @Test
  void refusesASampleWithoutTypeLine() {
    assertRefused("# HELP a x\na 1\n", "before any TYPE");
    assertRefused("a 1\n", "before any TYPE");
  }

  @Test
  void refusesASampleOfAnotherFamilyInsideABlock() {
    assertRefused("# TYPE a gauge\nb 1\n", "does not belong");
    assertRefused("# TYPE a counter\na_total 1\n", "does not belong");
  }

  @Test
  void refusesAFamilySplitInTwoBlocks() {
    assertRefused("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a again\n", "not contiguous");
  }

  @Test
  void refusesRepeatedOrLateDeclarations() {
    assertRefused("# TYPE a gauge\n# TYPE a gauge\na 1\n", "second TYPE");
    assertRefused("# HELP a x\n# HELP a y\n# TYPE a gauge\n", "second HELP");
    assertRefused("# TYPE a gauge\n# TYPE a sometimes\n", "second TYPE");
    assertRefused("# TYPE a flavour\n", "unknown type");
  }

  @Test
  void refusesDuplicateSeriesAndNegativeCounters() {
    assertRefused("# TYPE a gauge\na{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", "twice");
    assertRefused("# TYPE a_total counter\na_total -1\n", "counter");
  }

  @Test
  void refusesBadSyntax() {
    assertRefused("# TYPE a gauge\na 1", "newline");
    assertRefused("# TYPE a gauge\na 1d\n", "bad value");
    assertRefused("# TYPE a gauge\na 0x10\n", "bad value");
    assertRefused("# TYPE a gauge\na\n", "expected");
    assertRefused("# TYPE a gauge\na{x=1} 1\n", "not quoted");
    assertRefused("# TYPE a gauge\na{x=\"1\" 1\n", "expected ','");
    assertRefused("# TYPE a gauge\na{x=\"\\t\"} 1\n", "bad escape");
    assertRefused("# TYPE a gauge\na{1x=\"1\"} 1\n", "bad label name");
    assertRefused("# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n", "twice");
    assertRefused("# TYPE a-b gauge\n", "bad metric name");
    assertRefused("# TYPE a gauge\na 1 2.5\n", "timestamp");
  }

  @Test
  void refusesHistogramsScrapersWouldMisread() {
    assertRefused(HISTOGRAM.replace("le=\"0.002\"} 3", "le=\"0.002\"} 0"), "not cumulative");
    assertRefused(HISTOGRAM.replace("fsync_seconds_count 4", "fsync_seconds_count 5"), "differs from _count");
    assertRefused(HISTOGRAM.replace("le=\"+Inf\"", "le=\"0.004\""), "no +Inf");
    assertRefused(HISTOGRAM.replace("le=\"0.002\"", "le=\"0.0005\""), "does not ascend");
    assertRefused(HISTOGRAM.replace("fsync_seconds_sum 0.0045\n", ""), "lacks");
    assertRefused(HISTOGRAM.replace("fsync_seconds_bucket{le=\"0.001\"}", "fsync_seconds_bucket"), "without an le");
  }

  private static void assertRefused(String page, String problem) {
    assertThatThrownBy(() -> PrometheusText.parse(page))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(problem);
  }
}
