package keel.client.session;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import keel.client.support.ClientEndpoints;
import keel.client.support.EtcdErrors;
import keel.client.support.RecipeKeys;

/**
 * Opening a session's lease: the grant, and, when its answer took so long that less than half the
 * TTL is still confirmed (a cold cluster or client), keep-alives until at least half is, so that a
 * session is never handed out already lapsing. Every failure is a {@link SessionException} naming the
 * client's endpoints and the cause.
 *
 * @param leaseId the granted lease
 * @param ttl the TTL the cluster granted
 * @param aliveUntil the confirmed deadline ({@link System#nanoTime()}): a send time plus the TTL
 */
record LeaseGrant(long leaseId, Duration ttl, long aliveUntil) {

  static LeaseGrant grant(Client client, Duration ttl, Duration openTimeout) {
    Lease leases = client.getLeaseClient();
    long sent = System.nanoTime();
    LeaseGrantResponse grant;
    try {
      grant = leases.grant(ttl.toSeconds()).get(openTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw failure(client, "no answer to a lease grant (TTL " + ttl.toSeconds() + " s) within "
          + openTimeout.toMillis() + " ms; check that the cluster is running, reachable from here and has a leader", e);
    } catch (ExecutionException e) {
      throw failure(client, "the lease grant (TTL " + ttl.toSeconds() + " s) failed: " + EtcdErrors.describe(e),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure(client, "interrupted", e);
    } catch (RuntimeException e) {
      throw failure(client, EtcdErrors.describe(e), e);
    }
    if (grant.getTTL() <= 0) {
      throw failure(client, "the cluster granted lease " + RecipeKeys.hex(grant.getID()) + " with TTL "
          + grant.getTTL(), null);
    }
    Duration granted = Duration.ofSeconds(grant.getTTL());
    long aliveUntil = confirm(client, leases, grant.getID(), sent + granted.toNanos(), granted,
        sent + openTimeout.toNanos(), openTimeout);
    return new LeaseGrant(grant.getID(), granted, aliveUntil);
  }

  /** Keep-alives until at least half the TTL is confirmed; on failure revokes the lease and throws. */
  private static long confirm(Client client, Lease leases, long leaseId, long aliveUntil, Duration ttl,
      long deadline, Duration openTimeout) {
    long until = aliveUntil;
    while (until - System.nanoTime() < ttl.toNanos() / 2) {
      long sent = System.nanoTime();
      long left = deadline - sent;
      String failure;
      try {
        if (left <= 0) {
          throw new TimeoutException();
        }
        LeaseKeepAliveResponse answer = leases.keepAliveOnce(leaseId).get(left, TimeUnit.NANOSECONDS);
        if (answer.getTTL() > 0) {
          until = Math.max(until, sent + TimeUnit.SECONDS.toNanos(answer.getTTL()));
          continue;
        }
        failure = "the lease was gone (TTL " + answer.getTTL() + ") before a keep-alive confirmed it";
      } catch (TimeoutException e) {
        failure = "the lease was granted, but no keep-alive confirmed it within " + openTimeout.toMillis() + " ms";
      } catch (ExecutionException e) {
        failure = "the first keep-alive failed: " + EtcdErrors.describe(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = "interrupted";
      }
      try {
        leases.revoke(leaseId);
      } catch (RuntimeException e) {
        // it expires by itself
      }
      throw failure(client, failure, null);
    }
    return until;
  }

  private static SessionException failure(Client client, String what, Throwable cause) {
    return new SessionException("could not open a session on " + ClientEndpoints.describe(client) + ": " + what,
        cause);
  }
}
