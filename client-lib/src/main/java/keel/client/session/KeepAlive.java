package keel.client.session;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import keel.client.support.EtcdErrors;
import keel.client.support.RecipeKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two threads behind a {@link Session}: one keeps the lease alive, one watches its deadline; and
 * the first loss, declared once.
 *
 * <p><b>Keep-alive.</b> {@code keel-session-<lease hex>-keepalive} calls {@link Lease#keepAliveOnce}
 * every {@code min(ttl / 3, }{@link Session#MAX_KEEP_ALIVE_PERIOD}{@code )}, waiting at most one
 * period for each answer; a late answer still counts when it comes. Failures are logged once per run
 * of them, not per attempt.
 *
 * <p><b>The deadline.</b> {@link #aliveUntilNanos()} is the send time of the last keep-alive the
 * cluster answered with TTL &gt; 0, plus that TTL, and only ever moves forward. {@code
 * keel-session-<lease hex>-deadline} parks until it, re-reading it when it wakes; if no confirmation
 * moved it, the loss is {@link SessionLost.Reason#UNCONFIRMED}. An answer that comes after the
 * deadline has passed does not revive the lease: whichever thread sees the passed deadline first
 * declares UNCONFIRMED.
 *
 * <p><b>Loss.</b> The first of UNCONFIRMED, {@link SessionLost.Reason#EXPIRED} (an answer with TTL
 * &lt;= 0 or "lease not found") and {@link SessionLost.Reason#CLOSED} ({@link #close()}) is declared
 * under the lock; the thread that declared it stops both threads and hands it to {@code onLost},
 * outside the lock, exactly once.
 */
final class KeepAlive {
  private static final Logger LOG = LoggerFactory.getLogger(KeepAlive.class);

  private final Lease leases;
  private final long leaseId;
  private final String name;
  private final Duration ttl;
  private final long periodNanos;
  private final Consumer<SessionLost> onLost;
  private final Thread keepAliveThread;
  private final Thread deadlineThread;

  private final Object lock = new Object();
  private volatile long aliveUntil; // written under lock, only ever moved forward
  private volatile SessionLost lost; // written once, under lock
  private int failedInARow; // keep-alive answers that were errors, since the last good one; guarded by lock

  /**
   * For lease {@code leaseId} of {@code ttl}, confirmed until {@code aliveUntil} ({@link
   * System#nanoTime()}); {@code onLost} hears the loss. {@code name} is for logs.
   */
  KeepAlive(Lease leases, long leaseId, String name, Duration ttl, long aliveUntil, Consumer<SessionLost> onLost) {
    this.leases = leases;
    this.leaseId = leaseId;
    this.name = name;
    this.ttl = ttl;
    this.periodNanos = Math.min(ttl.toNanos() / 3, Session.MAX_KEEP_ALIVE_PERIOD.toNanos());
    this.aliveUntil = aliveUntil;
    this.onLost = onLost;
    this.keepAliveThread = new Thread(this::keepAliveLoop, "keel-session-" + RecipeKeys.hex(leaseId) + "-keepalive");
    this.deadlineThread = new Thread(this::deadlineLoop, "keel-session-" + RecipeKeys.hex(leaseId) + "-deadline");
    keepAliveThread.setDaemon(true);
    deadlineThread.setDaemon(true);
  }

  void start() {
    keepAliveThread.start();
    deadlineThread.start();
  }

  /** The gap between two keep-alives. */
  long periodNanos() {
    return periodNanos;
  }

  /** See {@link Session#aliveUntilNanos()}. */
  long aliveUntilNanos() {
    return aliveUntil;
  }

  /** The loss, once declared; null before. */
  SessionLost lost() {
    return lost;
  }

  /** Not lost, and the deadline has not passed. */
  boolean isAlive() {
    return lost == null && System.nanoTime() - aliveUntil < 0;
  }

  /**
   * Declares {@link SessionLost.Reason#CLOSED} unless a loss was declared before, stops both threads,
   * and hands a CLOSED loss to {@code onLost}. Returns the loss that stands: CLOSED, or the earlier one.
   */
  SessionLost close() {
    SessionLost announcement;
    synchronized (lock) {
      announcement = declare(SessionLost.Reason.CLOSED, "closed by its owner");
    }
    stopThreads();
    if (announcement != null) {
      onLost.accept(announcement);
    }
    return lost;
  }

  /** Waits for both threads to end, at most {@link Session#MAX_KEEP_ALIVE_PERIOD} each. */
  void join() {
    for (Thread t : List.of(keepAliveThread, deadlineThread)) {
      if (t != Thread.currentThread()) {
        try {
          t.join(Session.MAX_KEEP_ALIVE_PERIOD.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  // ---- keep-alive ----

  private void keepAliveLoop() {
    long next = System.nanoTime(); // the first at once: open() may have used part of the TTL
    while (lost == null) {
      parkUntil(next);
      if (lost != null || checkDeadline()) {
        return;
      }
      long sent = System.nanoTime();
      CompletableFuture<LeaseKeepAliveResponse> answer;
      try {
        answer = leases.keepAliveOnce(leaseId);
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      answer.whenComplete((response, error) -> onAnswer(sent, response, error));
      try {
        answer.get(periodNanos, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        synchronized (lock) {
          if (failedInARow++ == 0) {
            LOG.info("{}: no keep-alive answer within {} ms; sending another every {} ms, the lease is confirmed "
                + "for {} ms more", name, millis(periodNanos), millis(periodNanos),
                Math.max(0, millis(aliveUntil - System.nanoTime())));
          }
        }
      } catch (ExecutionException e) {
        // onAnswer handles it
      } catch (InterruptedException e) {
        return; // stopped
      }
      next = sent + periodNanos;
    }
  }

  private void onAnswer(long sent, LeaseKeepAliveResponse response, Throwable error) {
    SessionLost announcement;
    synchronized (lock) {
      if (lost != null) {
        return;
      }
      long now = System.nanoTime();
      boolean passed = now - aliveUntil >= 0;
      if (error == null && response.getTTL() > 0) {
        if (passed) {
          announcement = declare(SessionLost.Reason.UNCONFIRMED, "a keep-alive answer came "
              + millis(now - aliveUntil) + " ms after the lease's deadline had passed unconfirmed");
        } else {
          long until = sent + TimeUnit.SECONDS.toNanos(response.getTTL());
          if (until - aliveUntil > 0) {
            aliveUntil = until;
          }
          if (failedInARow > 0) {
            LOG.info("{}: keep-alive confirmed again after {} failed attempts", name, failedInARow);
            failedInARow = 0;
          }
          return;
        }
      } else if (error == null || EtcdErrors.isLeaseNotFound(error)) {
        String said = error == null ? "answered TTL " + response.getTTL() : "said the lease is not found";
        announcement = passed
            ? declare(SessionLost.Reason.UNCONFIRMED, "the lease's deadline passed unconfirmed (then the cluster "
                + said + ")")
            : declare(SessionLost.Reason.EXPIRED, "the cluster " + said + " to a keep-alive");
      } else {
        if (failedInARow++ == 0) {
          LOG.info("{}: keep-alive failed ({}); retrying every {} ms, the lease is confirmed for {} ms more",
              name, EtcdErrors.describe(error), millis(periodNanos), Math.max(0, millis(aliveUntil - now)));
        } else {
          LOG.debug("{}: keep-alive failed again ({})", name, EtcdErrors.describe(error));
        }
        return;
      }
    }
    stopThreads();
    onLost.accept(announcement);
  }

  // ---- the deadline ----

  private void deadlineLoop() {
    while (lost == null) {
      long wait = aliveUntil - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(this, wait);
      } else if (checkDeadline()) {
        return;
      }
    }
  }

  /** Declares UNCONFIRMED if the deadline has passed; true if the lease is (now) lost. */
  private boolean checkDeadline() {
    SessionLost announcement;
    synchronized (lock) {
      if (lost != null) {
        return true;
      }
      long late = System.nanoTime() - aliveUntil;
      if (late < 0) {
        return false;
      }
      announcement = declare(SessionLost.Reason.UNCONFIRMED, "no keep-alive was confirmed before the lease's "
          + "deadline (checked " + millis(late) + " ms after it; TTL " + ttl.toSeconds() + " s)");
    }
    stopThreads();
    onLost.accept(announcement);
    return true;
  }

  /** Under lock: records the loss if it is the first; returns it (to announce), or null. */
  private SessionLost declare(SessionLost.Reason reason, String detail) {
    if (lost != null) {
      return null;
    }
    lost = new SessionLost(reason, detail);
    return lost;
  }

  // ---- threads ----

  private void stopThreads() {
    for (Thread t : List.of(keepAliveThread, deadlineThread)) {
      if (t != Thread.currentThread()) {
        t.interrupt();
        LockSupport.unpark(t);
      }
    }
  }

  private void parkUntil(long deadline) {
    while (lost == null && !Thread.currentThread().isInterrupted()) {
      long wait = deadline - System.nanoTime();
      if (wait <= 0) {
        return;
      }
      LockSupport.parkNanos(this, wait);
    }
  }

  static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
