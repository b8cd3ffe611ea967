package keel.server.lease;

import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of leases: its {@link ExpiryQueue}, a timer that proposes a revoke for each
 * expired lease (etcd's {@code revokeExpiredLeases} loop, which writes {@code LeaseRevoke} to the
 * log), and the answers to keep-alive and time-to-live, which only the leader can give.
 *
 * <p>Started by {@link #promote} when this member becomes a ready leader and stopped by {@link
 * #demote} when it loses leadership; in between every member's {@link Lessor} tells it of grants
 * and revokes through {@link #listener()}.
 *
 * <p>Counts, for etcd's metrics, the renewals it granted ({@link #renewals()}) and the expired
 * leases whose revoke it had applied ({@link #expiries()}), across its terms as leader.
 */
public final class LeaderLeases implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderLeases.class);
  /** How often the leader looks for expired leases. */
  static final long CHECK_INTERVAL_MILLIS = 100;
  /**
   * Revokes proposed per check: etcd's leaseRevokeRate is 1000 per second, so at most 100 per
   * tenth of a second; the rest wait for the next check.
   */
  static final int REVOKES_PER_CHECK = 100;

  /**
   * Proposes the revoke of a lease that expired on the clocks of the leader of {@code term}
   * ({@link keel.server.command.LeaseExpiry}: it applies only from an entry of that term).
   */
  @FunctionalInterface
  public interface Revoker {
    CompletableFuture<?> revoke(long leaseId, long term);
  }

  private final String member;
  private final ExpiryQueue queue;
  private final Supplier<Lessor> lessor;
  private final Revoker revoker;
  private final long extendNanos;
  private final ScheduledExecutorService timer;
  private ScheduledFuture<?> checks; // guarded by this
  private long term; // guarded by this: the term whose leader runs the clocks
  private final LongAdder renewals = new LongAdder();
  private final LongAdder expiries = new LongAdder();

  /**
   * @param extendMillis added to every lease's TTL on promotion (etcd extends by the election
   *     timeout), so that a lease kept alive through the old leader is not lost in the handover
   */
  public LeaderLeases(String member, ExpiryQueue queue, Supplier<Lessor> lessor, Revoker revoker,
      long extendMillis) {
    this.member = member;
    this.queue = queue;
    this.lessor = lessor;
    this.revoker = revoker;
    this.extendNanos = TimeUnit.MILLISECONDS.toNanos(extendMillis);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + member + "-lease-expiry");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** What the lessor calls on the apply thread: non-blocking offers to the expiry queue. */
  public Lessor.Listener listener() {
    return new Lessor.Listener() {
      @Override
      public void granted(long id, long ttl) {
        queue.offerGranted(id, ttl);
      }

      @Override
      public void revoked(long id) {
        queue.offerRevoked(id);
      }
    };
  }

  /**
   * This member leads in {@code term}: restart every lease's clock and check for expiries from now
   * on; every revoke proposed until {@link #demote} names that term.
   */
  public synchronized void promote(long term) {
    this.term = term;
    queue.promote(() -> lessor.get().ttls(), extendNanos);
    if (checks == null && !timer.isShutdown()) {
      checks = timer.scheduleWithFixedDelay(this::revokeExpired, CHECK_INTERVAL_MILLIS, CHECK_INTERVAL_MILLIS,
          TimeUnit.MILLISECONDS);
    }
    LOG.info("{}: leader of term {} for {} leases; their clocks restart now", member, term, queue.size());
  }

  /** This member no longer leads: stop checking and forget every clock. */
  public synchronized void demote() {
    if (checks != null) {
      checks.cancel(false);
      checks = null;
    }
    if (queue.isActive()) {
      LOG.info("{}: no longer leader; lease clocks stopped", member);
    }
    queue.demote();
  }

  private void revokeExpired() {
    try {
      long clocksTerm;
      List<Long> expired;
      synchronized (this) {
        clocksTerm = term;
        expired = queue.expired(REVOKES_PER_CHECK);
      }
      for (long id : expired) {
        LOG.debug("{}: lease {} expired, proposing its revoke", member, Long.toHexString(id));
        revoker.revoke(id, clocksTerm).whenComplete((ignored, error) -> {
          if (error == null) {
            expiries.increment();
          } else {
            // Retried by the queue after its retry interval, while this member still leads.
            LOG.debug("{}: revoking expired lease {} failed: {}", member, Long.toHexString(id), error.toString());
          }
        });
      }
    } catch (RuntimeException e) {
      LOG.error("{}: checking lease expiries failed", member, e);
    }
  }

  /**
   * etcd's leader-side {@code LeaseRenew}: the TTL the lease now has again; TTL 0 for an unknown or
   * expired lease, as etcd's keep-alive answers. Header left empty for the serving member to fill.
   */
  public LeaseKeepAliveResponse keepAlive(LeaseKeepAliveRequest request) {
    requireLeader();
    OptionalLong ttl = queue.renew(request.getID());
    if (ttl.isPresent()) {
      renewals.increment();
    }
    return LeaseKeepAliveResponse.newBuilder()
        .setID(request.getID())
        .setTTL(ttl.orElse(0))
        .build();
  }

  /**
   * etcd's leader-side {@code LeaseTimeToLive}: remaining seconds (truncated, as Go's
   * {@code int64(d.Seconds())}), granted TTL and, when asked, the keys. LEASE_NOT_FOUND for an
   * unknown lease (the service answers TTL -1 for it).
   */
  public LeaseTimeToLiveResponse timeToLive(LeaseTimeToLiveRequest request) {
    requireLeader();
    Lessor.Lease lease = lessor.get().lookup(request.getID())
        .orElseThrow(() -> new EtcdException(EtcdError.LEASE_NOT_FOUND));
    long remainingNanos = queue.remainingNanos(request.getID())
        .orElse(TimeUnit.SECONDS.toNanos(lease.ttl()));
    LeaseTimeToLiveResponse.Builder response = LeaseTimeToLiveResponse.newBuilder()
        .setID(request.getID())
        .setTTL(remainingNanos / 1_000_000_000L)
        .setGrantedTTL(lease.ttl());
    if (request.getKeys()) {
      response.addAllKeys(lease.keys());
    }
    return response.build();
  }

  /**
   * Keep-alives this member answered as leader with the lease renewed (etcd's
   * {@code etcd_debugging_lease_renewed_total}: "seen by the leader").
   */
  public long renewals() {
    return renewals.sum();
  }

  /**
   * Expired leases whose revoke this member proposed as leader and saw applied (etcd's
   * {@code etcd_debugging_server_lease_expired_total}); a revoke that failed and is retried counts
   * once, when it succeeds.
   */
  public long expiries() {
    return expiries.sum();
  }

  private void requireLeader() {
    if (!queue.isActive()) {
      // Raft already says this member leads, but the leader-ready notice has not arrived yet (or
      // leadership is being lost): the caller retries until the deadline.
      throw new EtcdException(EtcdError.NOT_LEADER);
    }
  }

  @Override
  public void close() {
    demote();
    timer.shutdownNow();
  }
}
