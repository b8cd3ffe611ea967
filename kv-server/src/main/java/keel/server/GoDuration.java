package keel.server;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go's {@code time.ParseDuration}, for the etcd flags that take a duration ({@code 1h30m},
 * {@code 300ms}, {@code 1.5s}; {@code 0} alone needs no unit), with Go's error texts.
 */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)");
  private static final Pattern NUMBER_THEN_UNIT = Pattern.compile("[0-9]*(?:\\.[0-9]*)?([^0-9.]*)");

  private GoDuration() {}

  public static Duration parse(String text) {
    return Duration.ofNanos(parseNanos(text));
  }

  /**
   * @throws IllegalArgumentException {@code time: invalid duration "x"}, {@code time: missing unit
   *     in duration "x"} or {@code time: unknown unit "u" in duration "x"}
   */
  public static long parseNanos(String text) {
    String s = text;
    boolean negative = false;
    if (s.startsWith("-") || s.startsWith("+")) {
      negative = s.startsWith("-");
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return 0;
    }
    if (s.isEmpty()) {
      throw invalid(text);
    }
    Matcher m = PART.matcher(s);
    double total = 0;
    int end = 0;
    while (m.lookingAt()) {
      String number = m.group(1);
      if (number.isEmpty() || number.equals(".")) {
        throw invalid(text);
      }
      total += Double.parseDouble(number) * unitNanos(m.group(2));
      end = m.end();
      m.region(end, s.length());
    }
    if (end != s.length()) {
      Matcher unit = NUMBER_THEN_UNIT.matcher(s.substring(end));
      if (unit.lookingAt() && unit.end() > unit.group(1).length()) {
        throw new IllegalArgumentException("time: "
            + (unit.group(1).isEmpty() ? "missing unit" : "unknown unit \"" + unit.group(1) + "\"")
            + " in duration \"" + text + "\"");
      }
      throw invalid(text);
    }
    long nanos = Math.round(total);
    return negative ? -nanos : nanos;
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "\u00b5s", "\u03bcs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      default -> 3_600_000_000_000L;
    };
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("time: invalid duration \"" + text + "\"");
  }
}
