package keel.server.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  @Test
  void float64sPrintAsGoJsonDoes() {
    // As etcd 3.4.23 printed them in /v2/stats/leader and /v2/stats/self.
    assertThat(GoFormats.float64(0.0)).isEqualTo("0");
    assertThat(GoFormats.float64(0.000353)).isEqualTo("0.000353");
    assertThat(GoFormats.float64(0.0009571882573454398)).isEqualTo("0.0009571882573454398");
    assertThat(GoFormats.float64(0x1p63)).isEqualTo("9223372036854776000");
    assertThat(GoFormats.float64(312.21432145669274)).isEqualTo("312.21432145669274");
    assertThat(GoFormats.float64(24524.434950423212)).isEqualTo("24524.434950423212");
    // Go's own rules for the rest.
    assertThat(GoFormats.float64(4.0)).isEqualTo("4");
    assertThat(GoFormats.float64(12_345_678.0)).isEqualTo("12345678");
    assertThat(GoFormats.float64(-1.5)).isEqualTo("-1.5");
    assertThat(GoFormats.float64(0.000001)).isEqualTo("0.000001");
    assertThat(GoFormats.float64(1.5e-7)).isEqualTo("1.5e-7");
    assertThat(GoFormats.float64(1e-10)).isEqualTo("1e-10");
    assertThat(GoFormats.float64(1e21)).isEqualTo("1e+21");
    assertThat(GoFormats.float64(-2.5e300)).isEqualTo("-2.5e+300");
    assertThat(GoFormats.float64(123456789012345678901.0)).isEqualTo("123456789012345680000");
    assertThatThrownBy(() -> GoFormats.float64(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GoFormats.float64(Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
  }
}
