package keel.server.compactor;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * etcd's {@code --auto-compaction-mode} and {@code --auto-compaction-retention}, read as etcd 3.4
 * reads them ({@code embed.parseCompactionRetention}): a whole number is hours in periodic mode
 * and revisions in revision mode; anything else is a Go duration ({@code 30m}, {@code 1h30m}).
 * A retention of 0 (the default) turns auto-compaction off.
 *
 * @param mode      periodic or revision
 * @param period    periodic: how much history to keep
 * @param revisions revision: how many revisions to keep
 */
public record AutoCompaction(Mode mode, Duration period, long revisions) {
  public enum Mode { PERIODIC, REVISION }

  public static final AutoCompaction OFF = new AutoCompaction(Mode.PERIODIC, Duration.ZERO, 0);

  private static final Pattern DURATION_PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)");

  public boolean enabled() {
    return mode == Mode.PERIODIC ? !period.isZero() : revisions != 0;
  }

  /**
   * @throws IllegalArgumentException with etcd's text: {@code error parsing CompactionRetention:
   *     time: invalid duration "x"}, or {@code unsupported compaction mode x}
   */
  public static AutoCompaction parse(String mode, String retention) {
    String text = retention.isEmpty() ? "0" : retention;
    Long whole = wholeNumber(text);
    long nanos;
    if (whole != null && whole >= 0) {
      nanos = switch (mode) {
        case "revision" -> whole;
        case "periodic" -> Math.multiplyExact(whole, 3_600_000_000_000L);
        default -> 0; // etcd: an unknown mode with a whole number leaves auto-compaction off
      };
    } else {
      nanos = goDurationNanos(text);
    }
    if (nanos == 0) {
      return OFF;
    }
    return switch (mode) {
      case "periodic" -> new AutoCompaction(Mode.PERIODIC, Duration.ofNanos(nanos), 0);
      case "revision" -> new AutoCompaction(Mode.REVISION, Duration.ZERO, nanos);
      default -> throw new IllegalArgumentException("unsupported compaction mode " + mode);
    };
  }

  private static Long wholeNumber(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Go's {@code time.ParseDuration}, to whole nanoseconds. */
  static long goDurationNanos(String text) {
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
    Matcher m = DURATION_PART.matcher(s);
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
      Matcher unit = Pattern.compile("[0-9]*(?:\\.[0-9]*)?([^0-9.]*)").matcher(s.substring(end));
      if (unit.lookingAt() && unit.end() > unit.group(1).length()) {
        throw new IllegalArgumentException("error parsing CompactionRetention: time: "
            + (unit.group(1).isEmpty() ? "missing unit" : "unknown unit \"" + unit.group(1) + "\"")
            + " in duration \"" + text + "\"");
      }
      throw invalid(text);
    }
    if (negative) {
      throw new IllegalArgumentException("--auto-compaction-retention must not be negative: \"" + text + "\"");
    }
    return Math.round(total);
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
    return new IllegalArgumentException("error parsing CompactionRetention: time: invalid duration \"" + text + "\"");
  }
}
