package keel.server.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Expected strings are Go's own output (time.Duration.String, time.Time in JSON), as etcd 3.4 prints them. */
class GoFormatsTest {
  @Test
  void durationsPrintAsGoDoes() {
    assertThat(GoFormats.duration(Duration.ofNanos(3_986_694_589L))).isEqualTo("3.986694589s");
    assertThat(GoFormats.duration(Duration.ofSeconds(62, 500_000_000))).isEqualTo("1m2.5s");
    assertThat(GoFormats.duration(Duration.ofHours(1))).isEqualTo("1h0m0s");
    assertThat(GoFormats.duration(Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(GoFormats.duration(Duration.ofNanos(1_500))).isEqualTo("1.5µs");
    assertThat(GoFormats.duration(Duration.ofNanos(7))).isEqualTo("7ns");
    assertThat(GoFormats.duration(Duration.ZERO)).isEqualTo("0s");
  }

  @Test
  void timesPrintAsRfc3339NanoInUtc() {
    assertThat(GoFormats.rfc3339Nano(Instant.parse("2026-11-25T10:32:35.261136369Z")))
        .isEqualTo("2026-11-25T10:32:35.261136369Z");
    assertThat(GoFormats.rfc3339Nano(Instant.parse("2026-11-25T10:32:35.309048290Z")))
        .isEqualTo("2026-11-25T10:32:35.30904829Z");
    assertThat(GoFormats.rfc3339Nano(Instant.parse("2026-11-25T10:32:35Z"))).isEqualTo("2026-11-25T10:32:35Z");
  }
}
