package keel.client.session;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Lease;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import keel.client.support.EtcdErrors;
import keel.client.support.EventThreads;
import keel.client.support.RecipeKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lease, kept alive by Keel's own loop: the one place that knows whether this client is still
 * alive to the cluster. Election, lock and membership hang off a session and drop what they hold
 * first when it is lost.
 *
 * <p><b>Keep-alive.</b> A thread calls {@link Lease#keepAliveOnce} every {@code min(ttl / 3, 1 s)}
 * (so at least three times per TTL and at least once a second), waiting at most one period for each
 * answer; a late answer still counts when it comes. jetcd's streaming {@code keepAlive} observer is
 * not used: it can stop without a word after a leader loss or a long pause.
 *
 * <p><b>The deadline.</b> {@link #aliveUntilNanos()} is the send time ({@link System#nanoTime()}) of
 * the last keep-alive the cluster answered with TTL &gt; 0, plus that TTL: the cluster renewed the
 * lease after we sent, so it cannot expire it before then. A second thread parks until that deadline,
 * re-reading it when it wakes; if no confirmation moved it, the session is lost with {@link
 * SessionLost.Reason#UNCONFIRMED}. Its park is on the monotonic clock, so after SIGSTOP/SIGCONT past
 * the deadline it fires at once. An answer that arrives after the deadline has passed does not
 * revive the session: whichever thread sees the passed deadline first declares UNCONFIRMED. The two
 * threads are {@link KeepAlive}'s.
 *
 * <p><b>Loss.</b> An answer with TTL &lt;= 0 or "lease not found" means {@link
 * SessionLost.Reason#EXPIRED}; {@link #close()} means {@link SessionLost.Reason#CLOSED}. A lost
 * session stays lost: the owner opens a new one. Loss is reported exactly once: first to {@linkplain
 * #addDependent dependents} (synchronously, so recipes drop leadership or locks before anything
 * else), then to {@linkplain #addListener listeners} on their executors, then through {@link
 * #lost()}. After an UNCONFIRMED loss the lease is revoked in the background (best effort), so the
 * keys of a lost holder do not outlive it by a full TTL when the cluster is reachable again.
 *
 * <pre>{@code
 * try (Session session = Session.open(client, Duration.ofSeconds(5))) {
 *   session.addListener(lost -> stopWork(lost), executor);
 *   ...
 * }
 * }</pre>
 */
public final class Session implements AutoCloseable {
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_OPEN_TIMEOUT = Duration.ofSeconds(10);
  /** The longest gap between two keep-alives, whatever the TTL. */
  public static final Duration MAX_KEEP_ALIVE_PERIOD = Duration.ofSeconds(1);
  /** How long {@link #close()} waits for the lease revoke before leaving the lease to expire. */
  public static final Duration REVOKE_WAIT = Duration.ofSeconds(2);

  private static final Logger LOG = LoggerFactory.getLogger(Session.class);

  private final Lease leases;
  private final long leaseId;
  private final String name;
  private final Duration ttl;
  private final Executor defaultExecutor;
  private final CompletableFuture<SessionLost> lost = new CompletableFuture<>();
  private final LossListeners lossListeners;
  private final KeepAlive keepAlive;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Session(Lease leases, long leaseId, Duration ttl, long aliveUntil, Executor defaultExecutor) {
    this.leases = leases;
    this.leaseId = leaseId;
    this.name = "session " + RecipeKeys.hex(leaseId);
    this.lossListeners = new LossListeners(name);
    this.ttl = ttl;
    this.defaultExecutor = defaultExecutor;
    this.keepAlive = new KeepAlive(leases, leaseId, name, ttl, aliveUntil, this::announce);
  }

  /** A builder: {@code .ttl(Duration)} (default 5 s), {@code .listenerExecutor(Executor)}, {@code .open()}. */
  public static Builder builder(Client client) {
    return new Builder(client);
  }

  /** {@code builder(client).ttl(ttl).open()}. */
  public static Session open(Client client, Duration ttl) {
    return builder(client).ttl(ttl).open();
  }

  public long leaseId() {
    return leaseId;
  }

  /** The TTL the cluster granted (etcd may raise a small requested TTL to its minimum). */
  public Duration ttl() {
    return ttl;
  }

  /** Not lost, and the deadline has not passed. */
  public boolean isAlive() {
    return keepAlive.isAlive();
  }

  /**
   * {@link System#nanoTime()} before which the lease is certainly still alive on the cluster: the
   * send time of the last keep-alive the cluster answered with TTL &gt; 0, plus that TTL. Compare
   * with {@code System.nanoTime() - aliveUntilNanos() < 0}.
   */
  public long aliveUntilNanos() {
    return keepAlive.aliveUntilNanos();
  }

  /**
   * Completes once, when the session is lost or closed, after dependents and listeners were told.
   * Non-async stages run on the thread that detected the loss: use the {@code ...Async} variants for
   * blocking work. Each call returns a copy: completing it does not affect the session.
   */
  public CompletableFuture<SessionLost> lost() {
    return lost.copy();
  }

  /**
   * Calls {@code listener} once, on {@code executor}, when the session is lost or closed; at once
   * (on {@code executor}) if it already is.
   */
  public void addListener(SessionListener listener, Executor executor) {
    lossListeners.add(listener, executor);
  }

  /** {@link #addListener(SessionListener, Executor)} on the builder's listener executor. */
  public void addListener(SessionListener listener) {
    addListener(listener, defaultExecutor);
  }

  /**
   * For recipes that must drop what they hold before anyone else hears of the loss: {@code
   * dependent} runs synchronously on the thread that detects the loss (or closes the session), before
   * any listener and before {@link #lost()} completes; at once, on the caller, if already lost. It
   * must be quick and must not block.
   */
  public void addDependent(SessionListener dependent) {
    lossListeners.addDependent(dependent);
  }

  /** Forgets a listener or dependent (e.g. a recipe closed before its session). */
  public void removeListener(SessionListener listenerOrDependent) {
    lossListeners.remove(listenerOrDependent);
  }

  /**
   * Stops the keep-alive, reports {@link SessionLost.Reason#CLOSED} (unless already lost), and
   * revokes the lease, waiting at most {@link #REVOKE_WAIT}: the cluster then deletes the keys under
   * it at once instead of after the TTL. Safe to call twice.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (keepAlive.close().reason() != SessionLost.Reason.EXPIRED) {
      revoke(true);
    }
    keepAlive.join();
  }

  @Override
  public String toString() {
    SessionLost state = keepAlive.lost();
    return name + (state == null ? " (alive)" : " (lost: " + state.reason() + ")");
  }

  // ---- loss ----

  /** {@link KeepAlive}'s {@code onLost}: once, outside its lock, by whoever declared the loss. */
  private void announce(SessionLost value) {
    if (value.reason() == SessionLost.Reason.CLOSED) {
      LOG.info("{}: closed", name);
    } else {
      LOG.warn("{}: lost ({}): {}; what it held is gone, open a new session", name, value.reason(), value.detail());
    }
    lossListeners.tell(value);
    lost.complete(value);
    if (value.reason() == SessionLost.Reason.UNCONFIRMED) {
      revoke(false);
    }
  }

  /** Revokes the lease: waiting at most {@link #REVOKE_WAIT}, or in the background. Never throws. */
  private void revoke(boolean wait) {
    CompletableFuture<?> revoked;
    try {
      revoked = leases.revoke(leaseId);
    } catch (RuntimeException e) {
      LOG.info("{}: could not revoke the lease ({}); it expires after its TTL", name, EtcdErrors.describe(e));
      return;
    }
    if (!wait) {
      revoked.whenComplete((ok, error) -> {
        if (error != null && !EtcdErrors.isLeaseNotFound(error)) {
          LOG.debug("{}: background revoke failed ({})", name, EtcdErrors.describe(error));
        }
      });
      return;
    }
    try {
      revoked.get(REVOKE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.info("{}: no answer to the lease revoke within {} ms; the lease expires after its TTL", name,
          REVOKE_WAIT.toMillis());
    } catch (ExecutionException e) {
      if (!EtcdErrors.isLeaseNotFound(e)) {
        LOG.info("{}: the lease revoke failed ({}); the lease expires after its TTL", name, EtcdErrors.describe(e));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Options for {@link #open()}. */
  public static final class Builder {
    private final Client client;
    private Duration ttl = DEFAULT_TTL;
    private Duration openTimeout = DEFAULT_OPEN_TIMEOUT;
    private Executor listenerExecutor = EventThreads.shared();

    private Builder(Client client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /** The lease TTL, whole seconds, at least 1 s; default 5 s. */
    public Builder ttl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.toSeconds() < 1 || ttl.toNanos() % 1_000_000_000L != 0) {
        throw new IllegalArgumentException("a session TTL is whole seconds, at least 1 s (etcd leases count in "
            + "seconds); was " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /** The executor for {@link Session#addListener(SessionListener)}; default a shared daemon pool. */
    public Builder listenerExecutor(Executor executor) {
      this.listenerExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** How long {@link #open()} waits for the lease grant; default 10 s. */
    public Builder openTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("the open timeout must be positive; was " + timeout);
      }
      this.openTimeout = timeout;
      return this;
    }

    /**
     * Grants the lease and starts keeping it alive.
     *
     * @throws SessionException if the cluster does not grant a lease within the open timeout
     */
    public Session open() {
      LeaseGrant grant = LeaseGrant.grant(client, ttl, openTimeout);
      Session session = new Session(client.getLeaseClient(), grant.leaseId(), grant.ttl(), grant.aliveUntil(),
          listenerExecutor);
      session.keepAlive.start();
      LOG.info("{}: opened, TTL {} s, keep-alive every {} ms", session.name, grant.ttl().toSeconds(),
          KeepAlive.millis(session.keepAlive.periodNanos()));
      return session;
    }
  }
}
