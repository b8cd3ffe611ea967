package keel.server.api.http;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Times as Go prints them in etcd's JSON: {@code time.Time} (RFC3339Nano) and {@code time.Duration.String()}. */
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

  /** Go's {@code strconv.Quote} for printable text: double quotes, with '"', '\\' and controls escaped. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
