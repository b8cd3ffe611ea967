package keel.agent.gate;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action once a moving deadline passes: the local fence of the leader-gated process.
 *
 * <p>The deadline is a {@link System#nanoTime()} value read from {@code deadlineNanos} each time
 * the thread wakes; {@link Long#MAX_VALUE} means not armed. It moves forward as leadership is
 * confirmed; {@link #poke()} after changing it. When the current time passes it, {@code onExpired}
 * runs once, on this thread; the watchdog then waits to be re-armed with a deadline later than the
 * one that expired.
 *
 * <p>Why a thread of its own that parks until the deadline: after the whole process was stopped
 * (SIGSTOP) and continued, this thread is the first to notice. {@link LockSupport#parkNanos} waits
 * on CLOCK_MONOTONIC, which kept running during the stop, so the timed wait has already expired
 * when the process runs again and the action runs within milliseconds, before a stale holder can
 * answer anyone. Polling from a shared scheduler would come after whatever else is queued.
 *
 * <p>{@code deadlineNanos} and {@code onExpired} are called on the watchdog thread ({@code
 * keel-<node>-fence}, daemon, maximum priority); {@code onExpired} should do the fencing (kill the
 * process) and return. An exception from either is logged and the watchdog goes on.
 */
public final class FenceWatchdog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FenceWatchdog.class);
  /** The deadline value that means "not armed". */
  public static final long NOT_ARMED = Long.MAX_VALUE;

  private final String node;
  private final LongSupplier deadlineNanos;
  private final Runnable onExpired;
  private final Thread thread;
  private volatile boolean closed;

  /** Starts the watchdog thread at once. */
  public FenceWatchdog(String node, LongSupplier deadlineNanos, Runnable onExpired) {
    this.node = node;
    this.deadlineNanos = deadlineNanos;
    this.onExpired = onExpired;
    this.thread = new Thread(this::run, "keel-" + node + "-fence");
    thread.setDaemon(true);
    thread.setPriority(Thread.MAX_PRIORITY);
    thread.start();
  }

  /** Wakes the watchdog to re-read the deadline (call it after the deadline changed). */
  public void poke() {
    LockSupport.unpark(thread);
  }

  /** Stops the watchdog thread and waits for it (an action in progress completes first). */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
    if (thread != Thread.currentThread()) {
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void run() {
    boolean expiredOnce = false;
    long expired = 0; // the last deadline that expired; valid when expiredOnce
    while (!closed) {
      long deadline;
      try {
        deadline = deadlineNanos.getAsLong();
      } catch (RuntimeException e) {
        LOG.error("{}: the fence deadline could not be read; retrying in 100 ms", node, e);
        LockSupport.parkNanos(this, 100_000_000L);
        continue;
      }
      // Deadlines are nanoTime values: compare by difference, never by <, as nanoTime may wrap.
      if (deadline == NOT_ARMED || (expiredOnce && deadline - expired <= 0)) {
        LockSupport.park(this); // until poke() or close()
        continue;
      }
      long left = deadline - System.nanoTime();
      if (left > 0) {
        LockSupport.parkNanos(this, left); // may return early (poke, spurious): loop re-reads
        continue;
      }
      expiredOnce = true;
      expired = deadline;
      LOG.debug("{}: fence deadline passed {} µs ago", node, -left / 1000);
      try {
        onExpired.run();
      } catch (RuntimeException | Error e) {
        LOG.error("{}: the fence action failed", node, e);
      }
    }
  }
}
