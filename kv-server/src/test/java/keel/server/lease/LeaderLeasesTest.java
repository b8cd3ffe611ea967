package keel.server.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the leader counts for etcd's lease metrics: renewals granted, expired leases revoked. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LeaderLeasesTest {
  private final AtomicLong now = new AtomicLong();
  /** How the log answers the revokes the leader proposes, in order. */
  private final Queue<CompletableFuture<Object>> outcomes = new ArrayDeque<>();
  /** The leases whose revoke the leader proposed. */
  private final BlockingQueue<Long> proposed = new LinkedBlockingQueue<>();
  private Lessor lessor;
  private final LeaderLeases leases = new LeaderLeases("test", new ExpiryQueue(now::get), () -> lessor,
      (id, term) -> {
        CompletableFuture<Object> outcome;
        synchronized (outcomes) {
          outcome = outcomes.remove();
        }
        proposed.add(id);
        return outcome;
      }, 0);

  @AfterEach
  void close() {
    leases.close();
  }

  private void grantAndLead(long id, long ttl) {
    lessor = new Lessor(1, leases.listener());
    lessor.grant(id, ttl);
    leases.promote(2);
  }

  @Test
  void onlyKeepAlivesThatRenewALeaseCount() {
    grantAndLead(7, 10);
    assertThat(leases.keepAlive(LeaseKeepAliveRequest.newBuilder().setID(7).build()).getTTL()).isEqualTo(10);
    assertThat(leases.keepAlive(LeaseKeepAliveRequest.newBuilder().setID(8).build()).getTTL()).isZero();
    assertThat(leases.renewals()).isEqualTo(1);
  }

  @Test
  void anExpiredLeaseCountsOnceItsRevokeIsApplied() throws Exception {
    synchronized (outcomes) {
      outcomes.add(CompletableFuture.failedFuture(new IllegalStateException("no leader")));
      outcomes.add(CompletableFuture.completedFuture(null));
    }
    grantAndLead(7, 1);
    now.addAndGet(TimeUnit.SECONDS.toNanos(2));
    assertThat(proposed.poll(5, TimeUnit.SECONDS)).isEqualTo(7);
    now.addAndGet(ExpiryQueue.RETRY_NANOS);
    assertThat(proposed.poll(5, TimeUnit.SECONDS)).isEqualTo(7);
    awaitTrue("the applied revoke counted", () -> leases.expiries() > 0);
    assertThat(leases.expiries()).isEqualTo(1);
  }

  /** Polls {@code condition} until it holds, failing after five seconds (never sleeping). */
  private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    BlockingQueue<Object> tick = new LinkedBlockingQueue<>();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      tick.poll(5, TimeUnit.MILLISECONDS);
    }
  }
}
