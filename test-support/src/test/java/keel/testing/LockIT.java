package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Lock;
import io.etcd.jetcd.lock.LockResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** jetcd's Lock client against Keel's v3lock service, and its Election client's Leader/Proclaim/Resign. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockIT {
  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3);

  @Test
  void secondLockerWaitsUntilTheFirstUnlocks() throws Exception {
    Lock lock = cluster.client().getLockClient();
    ByteSequence name = bytes(cluster.uniquePrefix() + "lock");
    long first = cluster.client().getLeaseClient().grant(30).get().getID();
    long second = cluster.client().getLeaseClient().grant(30).get().getID();

    LockResponse held = lock.lock(name, first).get(10, TimeUnit.SECONDS);
    assertThat(held.getKey().toString(StandardCharsets.UTF_8))
        .isEqualTo(name.toString(StandardCharsets.UTF_8) + "/" + Long.toHexString(first));
    CompletableFuture<LockResponse> waiting = lock.lock(name, second);
    // Once the second locker's key exists the server has taken its request: it must still wait.
    ByteSequence contenders = bytes(name.toString(StandardCharsets.UTF_8) + "/");
    Deadlines.await("the second locker's key", java.time.Duration.ofSeconds(10)).until(() ->
        cluster.kv().get(contenders, io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
            .get().getCount() == 2);
    assertThat(waiting).as("the second locker waits").isNotDone();

    lock.unlock(held.getKey()).get(10, TimeUnit.SECONDS);
    LockResponse next = waiting.get(10, TimeUnit.SECONDS);
    assertThat(next.getKey().toString(StandardCharsets.UTF_8)).endsWith("/" + Long.toHexString(second));
  }

  @Test
  void aRevokedLeaseReleasesItsLock() throws Exception {
    Lock lock = cluster.client().getLockClient();
    ByteSequence name = bytes(cluster.uniquePrefix() + "lock");
    long first = cluster.client().getLeaseClient().grant(30).get().getID();
    long second = cluster.client().getLeaseClient().grant(30).get().getID();
    lock.lock(name, first).get(10, TimeUnit.SECONDS);
    CompletableFuture<LockResponse> waiting = lock.lock(name, second);
    cluster.client().getLeaseClient().revoke(first).get(10, TimeUnit.SECONDS);
    assertThat(waiting.get(10, TimeUnit.SECONDS).getKey().toString(StandardCharsets.UTF_8))
        .endsWith("/" + Long.toHexString(second));
  }

  @Test
  void electionLeaderProclaimAndResign() throws Exception {
    var election = cluster.client().getElectionClient();
    ByteSequence name = bytes(cluster.uniquePrefix() + "election");
    long lease = cluster.client().getLeaseClient().grant(30).get().getID();
    var campaign = election.campaign(name, lease, bytes("one")).get(10, TimeUnit.SECONDS);
    assertThat(election.leader(name).get(10, TimeUnit.SECONDS).getKv().getValue()).isEqualTo(bytes("one"));
    election.proclaim(campaign.getLeader(), bytes("two")).get(10, TimeUnit.SECONDS);
    assertThat(election.leader(name).get(10, TimeUnit.SECONDS).getKv().getValue()).isEqualTo(bytes("two"));
    election.resign(campaign.getLeader()).get(10, TimeUnit.SECONDS);
    // jetcd recognises etcd's "election: no leader" text and raises its NoLeaderException.
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> election.leader(name).get(10, TimeUnit.SECONDS)))
        .hasCauseInstanceOf(io.etcd.jetcd.election.NoLeaderException.class);
  }
}
