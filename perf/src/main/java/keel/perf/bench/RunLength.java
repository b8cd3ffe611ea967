package keel.perf.bench;

import java.time.Duration;

/**
 * How long a run lasts: a number of requests ({@code --total}) or a stretch of time ({@code
 * --duration}), exactly one of the two, as in etcd's benchmark tool (which knows only totals).
 */
record RunLength(long total, Duration duration) {
  /** etcd's benchmark tool's default for put and range. */
  static final long DEFAULT_TOTAL = 10_000;

  RunLength {
    if ((total > 0) == (duration != null)) {
      throw new IllegalArgumentException("a run length is a total or a duration, not both or neither");
    }
  }

  static RunLength ofTotal(long total) {
    return new RunLength(total, null);
  }

  static RunLength ofDuration(Duration duration) {
    return new RunLength(0, duration);
  }

  boolean isTimed() {
    return duration != null;
  }

  /**
   * Whether request {@code n} (from 0) may still be sent at {@code elapsedNanos} after the start:
   * under a total while {@code n < total}, under a duration while the run's time is not up.
   */
  boolean allows(long n, long elapsedNanos) {
    return isTimed() ? elapsedNanos < duration.toNanos() : n < total;
  }

  /** {@code 2000 puts} or {@code 30s}, for a report's header. */
  String describe(String unit) {
    return isTimed() ? BenchDurations.format(duration) : total + " " + unit;
  }

  @Override
  public String toString() {
    return describe("requests");
  }
}
