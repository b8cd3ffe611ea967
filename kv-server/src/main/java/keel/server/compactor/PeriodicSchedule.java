package keel.server.compactor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * etcd 3.4's periodic compactor: it notes the revision every tenth of the period (of an hour at
 * most), waits one whole period, then compacts to the revision noted a period ago, and again every
 * period (every hour when the period is longer) as the window slides on.
 *
 * <pre>
 * period 5 s: ticks every 500 ms; at 5 s compacts to the revision of 0 s; at 10 s to that of 5 s ...
 * period 24 h: ticks every 6 min; at 24 h compacts to the revision of 0 h; then hourly, keeping 24 h
 * </pre>
 */
final class PeriodicSchedule implements CompactionSchedule {
  private static final Duration HOUR = Duration.ofHours(1);
  private static final int TICKS_PER_INTERVAL = 10;

  private final long periodNanos;
  private final long compactIntervalNanos;
  private final Duration tick;
  private final int retained;
  /** Revisions noted at each tick; the first is the one of a period ago. */
  private final Deque<Long> revisions = new ArrayDeque<>();
  private long lastSuccessNanos;
  private long waitNanos;
  private boolean started;

  PeriodicSchedule(Duration period) {
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period must be positive: " + period);
    }
    Duration compactInterval = period.compareTo(HOUR) > 0 ? HOUR : period;
    this.periodNanos = period.toNanos();
    this.compactIntervalNanos = compactInterval.toNanos();
    this.tick = compactInterval.dividedBy(TICKS_PER_INTERVAL);
    this.retained = (int) (periodNanos / Math.max(1, tick.toNanos())) + 1;
    this.waitNanos = periodNanos;
  }

  @Override
  public Duration interval() {
    return tick;
  }

  @Override
  public void observe(long nowNanos, long currentRevision) {
    if (!started) {
      started = true;
      lastSuccessNanos = nowNanos;
    }
    revisions.addLast(currentRevision);
    if (revisions.size() > retained) {
      revisions.removeFirst();
    }
  }

  @Override
  public long due(long nowNanos, long currentRevision, boolean leader) {
    if (!leader || revisions.isEmpty() || nowNanos - lastSuccessNanos < waitNanos) {
      return 0;
    }
    waitNanos = compactIntervalNanos; // after the first period, compact every interval
    return revisions.peekFirst();
  }

  @Override
  public void compacted(long nowNanos, long revision) {
    lastSuccessNanos = nowNanos;
  }
}
