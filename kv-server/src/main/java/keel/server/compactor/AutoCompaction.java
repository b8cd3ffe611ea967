package keel.server.compactor;

import java.time.Duration;
import keel.server.GoDuration;

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
      try {
        nanos = GoDuration.parseNanos(text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("error parsing CompactionRetention: " + e.getMessage());
      }
      if (nanos < 0) {
        throw new IllegalArgumentException("--auto-compaction-retention must not be negative: \"" + text + "\"");
      }
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
}
