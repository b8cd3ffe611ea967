package keel.server.compactor;

import java.time.Duration;

/**
 * When an auto-compactor compacts and to which revision: etcd 3.4's {@code v3compactor} decisions,
 * apart from the clock and the proposal (see {@link AutoCompactor}, which calls these in order:
 * {@link #observe} at start, then every {@link #interval}: {@link #due}, {@link #compacted} if it
 * compacted, {@link #observe}).
 */
interface CompactionSchedule {
  Duration interval();

  /** Notes the current revision (periodic mode keeps a sliding window of them). */
  void observe(long nowNanos, long currentRevision);

  /** The revision to compact at now, or 0 for none; a member that does not lead never compacts. */
  long due(long nowNanos, long currentRevision, boolean leader);

  /** The compaction {@link #due} asked for went through (or was already done). */
  void compacted(long nowNanos, long revision);

  static CompactionSchedule of(AutoCompaction config, Duration revisionInterval) {
    return config.mode() == AutoCompaction.Mode.PERIODIC
        ? new PeriodicSchedule(config.period())
        : new RevisionSchedule(config.revisions(), revisionInterval);
  }
}
