package keel.server.compactor;

import java.io.Closeable;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's auto-compaction ({@code --auto-compaction-mode}, {@code --auto-compaction-retention}):
 * runs a {@link CompactionSchedule} on one thread of its own. Every member keeps the schedule's
 * clock; only the leader compacts, by proposing an ordinary Compact through the log, so every
 * member compacts at the same revision. Without it Keel's history, which lives in memory, would
 * grow for as long as the cluster runs.
 */
public final class AutoCompactor implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(AutoCompactor.class);
  private static final Duration COMPACT_TIMEOUT = Duration.ofSeconds(30);
  /** How often etcd's revision-mode compactor looks. */
  public static final Duration ETCD_REVISION_INTERVAL = RevisionSchedule.ETCD_INTERVAL;

  private final String member;
  private final AutoCompaction config;
  private final CompactionSchedule schedule;
  private final LongSupplier currentRevision;
  private final BooleanSupplier leader;
  private final LongFunction<CompletableFuture<?>> compact;
  private final ScheduledExecutorService thread;

  /**
   * @param revisionInterval how often revision mode looks (etcd: 5 minutes)
   * @param compact          proposes a Compact at the revision; fails with COMPACTED when done before
   */
  public AutoCompactor(String member, AutoCompaction config, Duration revisionInterval, LongSupplier currentRevision,
      BooleanSupplier leader, LongFunction<CompletableFuture<?>> compact) {
    this.member = member;
    this.config = config;
    this.schedule = CompactionSchedule.of(config, revisionInterval);
    this.currentRevision = currentRevision;
    this.leader = leader;
    this.compact = compact;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keel-" + member + "-auto-compactor");
      t.setDaemon(true);
      return t;
    });
  }

  public void start() {
    schedule.observe(System.nanoTime(), currentRevision.getAsLong());
    long tick = schedule.interval().toNanos();
    thread.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.NANOSECONDS);
    LOG.info("{}: auto-compaction on ({})", member, describe());
  }

  private void tick() {
    try {
      long revision = schedule.due(System.nanoTime(), currentRevision.getAsLong(), leader.getAsBoolean());
      if (revision > 0 && compactAt(revision)) {
        schedule.compacted(System.nanoTime(), revision);
      }
      schedule.observe(System.nanoTime(), currentRevision.getAsLong());
    } catch (RuntimeException e) {
      LOG.warn("{}: auto-compaction tick failed: {}", member, e.toString()); // the next tick tries again
    }
  }

  /** True when the store is compacted at {@code revision} now (by this call or before it). */
  private boolean compactAt(long revision) {
    try {
      compact.apply(revision).get(COMPACT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      LOG.info("{}: auto-compacted at revision {} ({})", member, revision, describe());
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof EtcdException etcd && etcd.error() == EtcdError.COMPACTED) {
        return true;
      }
      LOG.warn("{}: auto-compaction at revision {} failed, retrying later: {}", member, revision, e.getCause().toString());
      return false;
    } catch (TimeoutException e) {
      LOG.warn("{}: auto-compaction at revision {} timed out, retrying later", member, revision);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private String describe() {
    return config.mode() == AutoCompaction.Mode.PERIODIC
        ? "periodic, retention " + config.period()
        : "revision, retention " + config.revisions() + " revisions";
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
