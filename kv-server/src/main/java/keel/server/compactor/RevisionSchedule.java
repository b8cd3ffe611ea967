package keel.server.compactor;

import java.time.Duration;

/**
 * etcd 3.4's revision compactor: every five minutes the leader compacts to the current revision
 * minus the retention, unless that is not positive or is where it compacted last time.
 */
final class RevisionSchedule implements CompactionSchedule {
  /** etcd's {@code revInterval}. */
  static final Duration ETCD_INTERVAL = Duration.ofMinutes(5);

  private final long retention;
  private final Duration interval;
  private long previous;

  RevisionSchedule(long retention, Duration interval) {
    this.retention = retention;
    this.interval = interval;
  }

  @Override
  public Duration interval() {
    return interval;
  }

  @Override
  public void observe(long nowNanos, long currentRevision) {
  }

  @Override
  public long due(long nowNanos, long currentRevision, boolean leader) {
    long revision = currentRevision - retention;
    return !leader || revision <= 0 || revision == previous ? 0 : revision;
  }

  @Override
  public void compacted(long nowNanos, long revision) {
    previous = revision;
  }
}
