package keel.client.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Session against a scripted lease service: deadlines, loss reasons, exactly-once reporting. */
@Timeout(30)
class SessionTest {
  private static final Duration TTL = Duration.ofSeconds(1);
  private final FakeLeaseClient client = new FakeLeaseClient(1);
  private final List<Session> sessions = new ArrayList<>();

  @AfterEach
  void closeSessions() {
    sessions.forEach(Session::close);
  }

  private Session open() {
    Session session = Session.builder(client).ttl(TTL).listenerExecutor(Runnable::run).open();
    sessions.add(session);
    return session;
  }

  @Test
  void answeredKeepAlivesMoveTheDeadlineForward() {
    Session session = open();
    long first = session.aliveUntilNanos();
    long openedAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(5)).until(() -> client.keepAlives.get() >= 6);
    assertThat(session.isAlive()).isTrue();
    assertThat(session.aliveUntilNanos() - first).isPositive();
    // keep-alives every ttl/3: six of them take about two TTLs, and the session never lapsed
    assertThat(System.nanoTime() - openedAt).isGreaterThan(TTL.toNanos());
    assertThat(session.lost()).isNotDone();
    assertThat(session.leaseId()).isEqualTo(FakeLeaseClient.LEASE_ID);
    assertThat(session.ttl()).isEqualTo(TTL);
  }

  @Test
  void aSilentClusterMakesTheSessionUnconfirmedAtItsDeadline() throws Exception {
    client.answers = n -> client.hang();
    Session session = open();
    long deadline = session.aliveUntilNanos();
    SessionLost lost = session.lost().get(5, TimeUnit.SECONDS);
    long reportedAt = System.nanoTime();
    assertThat(lost.reason()).isEqualTo(SessionLost.Reason.UNCONFIRMED);
    assertThat(reportedAt - deadline).as("reported after the deadline, promptly")
        .isNotNegative().isLessThan(TimeUnit.MILLISECONDS.toNanos(500));
    assertThat(session.isAlive()).isFalse();
    assertThat(client.keepAlives.get()).as("kept trying while unanswered").isGreaterThanOrEqualTo(2);
    await().atMost(Duration.ofSeconds(2)).until(() -> client.revokes.get() == 1); // best-effort revoke
  }

  @Test
  void leaseNotFoundMeansExpired() throws Exception {
    client.answers = n -> n < 3 ? FakeLeaseClient.ttl(1) : CompletableFuture.failedFuture(
        EtcdExceptionFactory.newEtcdException(ErrorCode.NOT_FOUND, "etcdserver: requested lease not found"));
    Session session = open();
    SessionLost lost = session.lost().get(5, TimeUnit.SECONDS);
    assertThat(lost.reason()).isEqualTo(SessionLost.Reason.EXPIRED);
    assertThat(lost.detail()).contains("not found");
  }

  @Test
  void ttlZeroMeansExpired() throws Exception {
    client.answers = n -> FakeLeaseClient.ttl(0);
    Session session = open();
    assertThat(session.lost().get(5, TimeUnit.SECONDS).reason()).isEqualTo(SessionLost.Reason.EXPIRED);
  }

  @Test
  void failuresWithinTheTtlDoNotLoseTheSession() {
    client.answers = n -> n % 2 == 0 ? FakeLeaseClient.ttl(1)
        : CompletableFuture.failedFuture(EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "io exception"));
    Session session = open();
    await().atMost(Duration.ofSeconds(5)).until(() -> client.keepAlives.get() >= 8);
    assertThat(session.isAlive()).isTrue();
    assertThat(session.lost()).isNotDone();
  }

  @Test
  void anAnswerAfterTheDeadlineDoesNotReviveTheSession() throws Exception {
    client.answers = n -> client.hang();
    Session session = open();
    BlockingQueue<SessionLost> told = new LinkedBlockingQueue<>();
    session.addListener(told::add, Runnable::run);
    assertThat(told.poll(5, TimeUnit.SECONDS).reason()).isEqualTo(SessionLost.Reason.UNCONFIRMED);
    long deadline = session.aliveUntilNanos();
    for (CompletableFuture<LeaseKeepAliveResponse> late : client.pending) {
      late.complete(FakeLeaseClient.keepAliveResponse(1));
    }
    assertThat(session.aliveUntilNanos()).isEqualTo(deadline);
    assertThat(session.isAlive()).isFalse();
    assertThat(told.poll(300, TimeUnit.MILLISECONDS)).as("reported once").isNull();
  }

  @Test
  void closeTellsDependentsFirstThenListenersThenTheFutureExactlyOnce() throws Exception {
    Session session = open();
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    session.addListener(lost -> order.add("listener " + lost.reason()), Runnable::run);
    session.addDependent(lost -> order.add("dependent " + lost.reason()));
    CompletableFuture<SessionLost> lost = session.lost();
    lost.thenRun(() -> order.add("future"));
    session.close();
    session.close();
    assertThat(lost.get(1, TimeUnit.SECONDS).reason()).isEqualTo(SessionLost.Reason.CLOSED);
    assertThat(order).containsExactly("dependent CLOSED", "listener CLOSED", "future");
    assertThat(client.revokes.get()).isEqualTo(1);
    assertThat(session.isAlive()).isFalse();

    BlockingQueue<SessionLost> late = new LinkedBlockingQueue<>();
    session.addListener(late::add, Runnable::run);
    assertThat(late.poll(1, TimeUnit.SECONDS).reason()).isEqualTo(SessionLost.Reason.CLOSED);
    assertThat(late).isEmpty();
  }

  @Test
  void keepAliveStopsAfterClose() {
    Session session = open();
    session.close();
    int sent = client.keepAlives.get();
    await().pollDelay(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2)).until(() -> true);
    assertThat(client.keepAlives.get()).isEqualTo(sent);
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("keel-session-")
        && t.getName().contains(Long.toHexString(FakeLeaseClient.LEASE_ID)) && t.isAlive());
  }

  @Test
  void aRemovedListenerIsNotTold() throws Exception {
    Session session = open();
    BlockingQueue<SessionLost> told = new LinkedBlockingQueue<>();
    SessionListener listener = told::add;
    session.addListener(listener, Runnable::run);
    session.removeListener(listener);
    session.close();
    assertThat(told.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aSlowGrantIsConfirmedBeforeOpenReturns() {
    long start = System.nanoTime();
    client.grant = CompletableFuture.supplyAsync(() -> new LeaseGrantResponse(
            io.etcd.jetcd.api.LeaseGrantResponse.newBuilder().setID(FakeLeaseClient.LEASE_ID).setTTL(1).build()),
        CompletableFuture.delayedExecutor(800, TimeUnit.MILLISECONDS));
    Session session = open();
    assertThat(client.keepAlives.get()).as("confirmed by a keep-alive within open()").isPositive();
    assertThat(session.aliveUntilNanos() - System.nanoTime()).as("at least half a TTL left")
        .isGreaterThanOrEqualTo(TTL.toNanos() / 2 - TimeUnit.MILLISECONDS.toNanos(50));
    assertThat(session.aliveUntilNanos() - start).isGreaterThan(TTL.toNanos());
    assertThat(session.isAlive()).isTrue();
  }

  @Test
  void aSlowGrantWhoseLeaseIsGoneFailsTheOpenAndRevokes() {
    client.grant = CompletableFuture.supplyAsync(() -> new LeaseGrantResponse(
            io.etcd.jetcd.api.LeaseGrantResponse.newBuilder().setID(FakeLeaseClient.LEASE_ID).setTTL(1).build()),
        CompletableFuture.delayedExecutor(800, TimeUnit.MILLISECONDS));
    client.answers = n -> FakeLeaseClient.ttl(0);
    assertThatThrownBy(() -> Session.open(client, TTL))
        .isInstanceOf(SessionException.class).hasMessageContaining("the lease was gone");
    assertThat(client.revokes.get()).isEqualTo(1);
  }

  @Test
  void openFailsNamingTheCauseWhenTheGrantIsNotAnswered() {
    client.grant = new CompletableFuture<LeaseGrantResponse>();
    assertThatThrownBy(() -> Session.builder(client).ttl(TTL).openTimeout(Duration.ofMillis(200)).open())
        .isInstanceOf(SessionException.class)
        .hasMessageContaining("could not open a session on")
        .hasMessageContaining("no answer to a lease grant (TTL 1 s) within 200 ms");
  }

  @Test
  void openFailsWhenTheGrantFails() {
    client.grant = CompletableFuture.failedFuture(
        EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "etcdserver: no leader"));
    assertThatThrownBy(() -> Session.open(client, TTL))
        .isInstanceOf(SessionException.class)
        .hasMessageContaining("etcdserver: no leader");
  }

  @Test
  void theTtlIsWholeSeconds() {
    assertThatThrownBy(() -> Session.builder(client).ttl(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole seconds");
    assertThatThrownBy(() -> Session.builder(client).ttl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
