package keel.server.v2store;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's v2 TTL clock (etcd's SYNC ticker): every {@value #INTERVAL_MILLIS} ms, when this
 * member leads and some node's expiry has passed on its clock, it proposes one sweep with its
 * now; every member then removes exactly what expired by that instant, at the same index. etcd
 * proposes a SYNC on every tick while any TTL exists; Keel skips the ticks where nothing is due,
 * which removes the same nodes with fewer log entries. One sweep in flight at a time.
 */
public final class V2ExpirySweep implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(V2ExpirySweep.class);
  static final long INTERVAL_MILLIS = 500;

  private final V2Store store;
  private final BooleanSupplier isLeader;
  private final LongFunction<CompletableFuture<?>> proposeSweep;
  private final AtomicBoolean inFlight = new AtomicBoolean();
  private final ScheduledExecutorService timer;

  /**
   * @param proposeSweep proposes a sweep at the given Unix epoch nanoseconds through the log
   */
  public V2ExpirySweep(String member, V2Store store, BooleanSupplier isLeader,
      LongFunction<CompletableFuture<?>> proposeSweep) {
    this.store = store;
    this.isLeader = isLeader;
    this.proposeSweep = proposeSweep;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + member + "-v2-ttl");
      thread.setDaemon(true);
      return thread;
    });
  }

  public void start() {
    timer.scheduleWithFixedDelay(this::tick, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
  }

  void tick() {
    long now = EpochClock.nowNanos();
    OptionalLong next = store.nextExpiry();
    if (next.isEmpty() || next.getAsLong() > now || !isLeader.getAsBoolean()
        || !inFlight.compareAndSet(false, true)) {
      return;
    }
    try {
      proposeSweep.apply(now).whenComplete((result, error) -> {
        inFlight.set(false);
        if (error != null) {
          LOG.debug("v2 TTL sweep not applied, next tick tries again: {}", error.toString());
        }
      });
    } catch (RuntimeException e) {
      inFlight.set(false);
      LOG.warn("v2 TTL sweep could not be proposed", e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
