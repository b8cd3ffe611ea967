package keel.server.api.http;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Values as Go prints them in etcd's JSON: {@code time.Time} (RFC3339Nano), {@code time.Duration.String()}
 * and {@code float64}.
 */
final class GoFormats {
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private GoFormats() {}

  /** {@code 2026-11-25T10:32:35.261136369Z}: UTC, trailing zeros of the fraction dropped, no dot if none is left. */
  static String rfc3339Nano(Instant instant) {
    StringBuilder text = new StringBuilder(SECONDS.format(instant));
    if (instant.getNano() != 0) {
      String fraction = String.format("%09d", instant.getNano()).replaceAll("0+$", "");
      text.append('.').append(fraction);
    }
    return text.append('Z').toString();
  }

  /** {@code 3.986694589s}, {@code 1m2.5s}, {@code 1h0m0s}, {@code 250ms}, {@code 1.5µs}, {@code 0s}. */
  static String duration(Duration duration) {
    long nanos = duration.toNanos();
    if (nanos == 0) {
      return "0s";
    }
    String sign = nanos < 0 ? "-" : "";
    nanos = Math.abs(nanos);
    if (nanos < 1_000) {
      return sign + nanos + "ns";
    }
    if (nanos < 1_000_000) {
      return sign + decimal(nanos, 3) + "µs";
    }
    if (nanos < 1_000_000_000) {
      return sign + decimal(nanos, 6) + "ms";
    }
    long hours = nanos / 3_600_000_000_000L;
    long minutes = nanos / 60_000_000_000L % 60;
    String seconds = decimal(nanos % 60_000_000_000L, 9) + "s";
    if (hours > 0) {
      return sign + hours + "h" + minutes + "m" + seconds;
    }
    return sign + (minutes > 0 ? minutes + "m" : "") + seconds;
  }

  private static String decimal(long value, int scale) {
    BigDecimal number = BigDecimal.valueOf(value, scale).stripTrailingZeros();
    return number.scale() <= 0 ? number.toBigInteger().toString() : number.toPlainString();
  }

  /**
   * A {@code float64} as Go's encoding/json prints it: the shortest digits that read back as the same
   * number, in plain notation ({@code 0}, {@code 0.000353}, {@code 9223372036854776000}), and with an
   * exponent below 1e-6 or from 1e21 on ({@code 1.5e-7}, {@code 1e+21}). The digits are Java's
   * {@code Double.toString}'s, which before Java 19 has a digit too many for a few numbers.
   *
   * @throws IllegalArgumentException for NaN and infinities, which Go's JSON refuses too
   */
  static String float64(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("JSON has no " + value);
    }
    if (value == 0) {
      return Double.doubleToRawLongBits(value) == 0 ? "0" : "-0";
    }
    BigDecimal number = new BigDecimal(Double.toString(value)).stripTrailingZeros();
    double magnitude = Math.abs(value);
    if (magnitude >= 1e-6 && magnitude < 1e21) {
      return number.toPlainString();
    }
    String digits = number.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - number.scale();
    StringBuilder text = new StringBuilder(value < 0 ? "-" : "").append(digits.charAt(0));
    if (digits.length() > 1) {
      text.append('.').append(digits, 1, digits.length());
    }
    return text.append(exponent < 0 ? "e-" : "e+").append(Math.abs(exponent)).toString();
  }
}
