package keel.client.election;

import static keel.client.BackendClusters.bytes;
import static keel.client.BackendClusters.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import keel.client.Backend;
import keel.client.BackendClusters;
import keel.client.session.Session;
import keel.client.session.SessionLostException;
import keel.testing.Deadlines;
import keel.testing.Etcdctl;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * LeaderElection against Keel and real etcd, and with {@code etcdctl elect} in the same election:
 * turns are taken in key order, observers see leaders and proclaims, a lost session or a deleted key
 * deposes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ElectionIT {
  private static final Duration TTL = Duration.ofSeconds(3);

  @RegisterExtension
  static final BackendClusters clusters = BackendClusters.ofSize(3);

  @ParameterizedTest
  @EnumSource(Backend.class)
  void takesTurnsWithEtcdctlElect(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    String name = clusters.unique("elect");
    Etcdctl etcdctl = Etcdctl.of(clusters.cluster(backend).clientEndpoints());
    List<String> heard = Collections.synchronizedList(new ArrayList<>());
    try (Session session = Session.open(client, TTL);
        LeaderElection election = new LeaderElection(client, session, bytes(name))) {
      election.addListener(recorder(heard), Runnable::run);
      CompletableFuture<Leadership> campaign;
      try (Etcdctl.Background first = etcdctl.background("elect", name, "etcdctl-value")) {
        first.awaitStdout("etcdctl-value", Duration.ofSeconds(20));
        campaign = election.campaign(bytes("ours"));
        awaitContenders(client, name, 2);
        assertThat(campaign).as("waits while etcdctl leads").isNotDone();
        assertThat(election.isLeader()).isFalse();
        assertThat(LeaderElection.leader(client, bytes(name)).get(10, TimeUnit.SECONDS))
            .map(l -> text(l.value())).contains("etcdctl-value");
        first.terminate(); // etcdctl resigns on SIGTERM
      }
      Leadership leadership = campaign.get(20, TimeUnit.SECONDS);
      assertThat(election.isLeader()).isTrue();
      assertThat(text(leadership.key())).isEqualTo(name + "/" + Long.toHexString(session.leaseId()));
      KeyValue ours = client.getKVClient().get(leadership.key()).get(10, TimeUnit.SECONDS).getKvs().get(0);
      assertThat(leadership.fencingToken()).isEqualTo(ours.getCreateRevision());
      assertThat(ours.getLease()).isEqualTo(session.leaseId());

      try (Etcdctl.Background observer = etcdctl.background("elect", "-l", name)) {
        observer.awaitStdout("ours", Duration.ofSeconds(20));
        election.proclaim(bytes("proclaimed")).get(10, TimeUnit.SECONDS);
        observer.awaitStdout("proclaimed", Duration.ofSeconds(20));
      }

      try (Etcdctl.Background next = etcdctl.background("elect", name, "etcdctl-next")) {
        awaitContenders(client, name, 2);
        assertThat(next.stdout()).doesNotContain("etcdctl-next");
        election.resign().get(10, TimeUnit.SECONDS);
        next.awaitStdout("etcdctl-next", Duration.ofSeconds(20));
        assertThat(election.isLeader()).isFalse();
      }
      assertThat(heard).containsExactly("elected " + leadership.fencingToken(), "deposed: resigned");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void observersSeeLeadersProclaimsAndNone(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    ByteSequence name = bytes(clusters.unique("observe"));
    BlockingQueue<Optional<LeaderInfo>> seen = new LinkedBlockingQueue<>();
    try (Observation observation = LeaderElection.observe(client, name, seen::add, Runnable::run);
        Session a = Session.open(client, TTL);
        Session b = Session.open(client, TTL);
        LeaderElection electionA = new LeaderElection(client, a, name);
        LeaderElection electionB = new LeaderElection(client, b, name)) {
      assertThat(next(seen)).isEmpty();
      Leadership leaderA = electionA.campaign(bytes("a")).get(10, TimeUnit.SECONDS);
      assertThat(next(seen)).hasValueSatisfying(l -> {
        assertThat(text(l.value())).isEqualTo("a");
        assertThat(l.createRevision()).isEqualTo(leaderA.fencingToken());
        assertThat(l.leaseId()).isEqualTo(a.leaseId());
      });
      electionA.proclaim(bytes("a2")).get(10, TimeUnit.SECONDS);
      assertThat(next(seen)).map(l -> text(l.value())).contains("a2");
      CompletableFuture<Leadership> campaignB = electionB.campaign(bytes("b"));
      awaitContenders(client, text(name), 2);
      electionA.resign().get(10, TimeUnit.SECONDS);
      Leadership leaderB = campaignB.get(10, TimeUnit.SECONDS);
      assertThat(next(seen)).hasValueSatisfying(l -> {
        assertThat(text(l.value())).isEqualTo("b");
        assertThat(l.createRevision()).isEqualTo(leaderB.fencingToken()).isGreaterThan(leaderA.fencingToken());
      });
      assertThat(observation.current()).map(l -> text(l.value())).contains("b");
      b.close(); // revokes: the key goes
      assertThat(next(seen)).isEmpty();
      assertThat(LeaderElection.leader(client, name).get(10, TimeUnit.SECONDS)).isEmpty();
    }
  }

  /** Losing the session drops leadership before the session's own listeners hear of it. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void aLostSessionDeposesFirst(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    String name = clusters.unique("lost");
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    Session session = Session.open(client, TTL);
    try (LeaderElection election = new LeaderElection(client, session, bytes(name))) {
      election.addListener(recorder(order), Runnable::run);
      session.addListener(lost -> order.add("session " + lost.reason() + ", leader " + election.isLeader()),
          Runnable::run);
      Leadership leadership = election.campaign(bytes("x")).get(10, TimeUnit.SECONDS);
      session.close();
      assertThat(order).containsExactly("elected " + leadership.fencingToken(),
          "deposed: the session was lost (CLOSED: closed by its owner)", "session CLOSED, leader false");
      assertThat(election.isLeader()).isFalse();
      assertThat(election.leadership()).isEmpty();
      assertThat(election.campaign(bytes("again"))).failsWithin(1, TimeUnit.SECONDS)
          .withThrowableOfType(ExecutionException.class).withCauseInstanceOf(SessionLostException.class);
      assertThat(LeaderElection.leader(client, bytes(name)).get(10, TimeUnit.SECONDS)).as("key revoked").isEmpty();
    }
  }

  /** Someone deleting the leader key deposes; the fencing token then fails a guarded transaction. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void deletingTheLeaderKeyDeposesAndFencesTheOldToken(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    KV kv = client.getKVClient();
    String name = clusters.unique("fence");
    List<String> heard = Collections.synchronizedList(new ArrayList<>());
    try (Session session = Session.open(client, TTL);
        LeaderElection election = new LeaderElection(client, session, bytes(name))) {
      election.addListener(recorder(heard), Runnable::run);
      Leadership first = election.campaign(bytes("x")).get(10, TimeUnit.SECONDS);
      ByteSequence guarded = bytes(name + "-resource");
      assertThat(kv.txn().If(first.stillLeader()).Then(Op.put(guarded, bytes("1"), PutOption.DEFAULT))
          .commit().get(10, TimeUnit.SECONDS).isSucceeded()).isTrue();

      kv.delete(first.key()).get(10, TimeUnit.SECONDS);
      Deadlines.await("deposed by the delete", Duration.ofSeconds(10)).until(() -> heard.size() == 2);
      assertThat(heard.get(1)).startsWith("deposed: the key it was deleted at revision");
      assertThat(election.isLeader()).isFalse();
      assertThat(election.proclaim(bytes("y"))).failsWithin(1, TimeUnit.SECONDS)
          .withThrowableOfType(ExecutionException.class).withCauseInstanceOf(NotLeaderException.class);

      Leadership second = election.campaign(bytes("x")).get(10, TimeUnit.SECONDS);
      assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
      assertThat(kv.txn().If(first.stillLeader()).Then(Op.put(guarded, bytes("2"), PutOption.DEFAULT))
          .commit().get(10, TimeUnit.SECONDS).isSucceeded()).as("the old token is fenced off").isFalse();
      assertThat(kv.txn().If(second.stillLeader()).Then(Op.put(guarded, bytes("3"), PutOption.DEFAULT))
          .commit().get(10, TimeUnit.SECONDS).isSucceeded()).isTrue();
    }
  }

  private static LeadershipListener recorder(List<String> heard) {
    return new LeadershipListener() {
      @Override
      public void onElected(Leadership l) {
        heard.add("elected " + l.fencingToken());
      }

      @Override
      public void onDeposed(Leadership l, String reason) {
        heard.add("deposed: " + reason);
      }
    };
  }

  private static void awaitContenders(Client client, String name, int count) {
    Deadlines.await(count + " contenders under " + name, Duration.ofSeconds(10)).until(() ->
        client.getKVClient().get(bytes(name + "/"), GetOption.builder().isPrefix(true).withCountOnly(true).build())
            .get(5, TimeUnit.SECONDS).getCount() == count);
  }

  private static Optional<LeaderInfo> next(BlockingQueue<Optional<LeaderInfo>> seen) throws InterruptedException {
    Optional<LeaderInfo> info = seen.poll(Deadlines.scaled(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS);
    assertThat(info).as("an observation").isNotNull();
    return info;
  }
}
