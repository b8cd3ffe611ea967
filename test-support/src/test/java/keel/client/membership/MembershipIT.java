package keel.client.membership;

import static keel.client.BackendClusters.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.LeaseOption;
import java.time.Duration;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import keel.client.Backend;
import keel.client.BackendClusters;
import keel.client.session.Session;
import keel.testing.Deadlines;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Membership against Keel and real etcd: register, duplicates refused, restart takeover, leaving. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MembershipIT {
  private static final Duration TTL = Duration.ofSeconds(3);

  @RegisterExtension
  static final BackendClusters clusters = BackendClusters.ofSize(3);

  @ParameterizedTest
  @EnumSource(Backend.class)
  void registersRefusesDuplicatesTakesOverAndForgetsTheGone(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    ByteSequence prefix = bytes(clusters.unique("/members") + "/");
    BlockingQueue<SortedMap<String, ByteSequence>> heard = new LinkedBlockingQueue<>();
    Session one = Session.open(client, TTL);
    Session two = Session.open(client, TTL);
    Session oneAgain = Session.open(client, TTL);
    try (Membership membership = new Membership(client, prefix);
        Membership otherNode = new Membership(client, prefix)) {
      membership.addListener(heard::add, Runnable::run);
      membership.start().get(10, TimeUnit.SECONDS);
      otherNode.start().get(10, TimeUnit.SECONDS);
      assertThat(membership.members()).isEmpty();

      membership.register(one, "node1", bytes("10.0.0.1")).get(10, TimeUnit.SECONDS);
      assertThat(next(heard)).isEqualTo(Map.of("node1", bytes("10.0.0.1")));
      otherNode.register(two, "node2", bytes("10.0.0.2")).get(10, TimeUnit.SECONDS);
      assertThat(next(heard)).isEqualTo(Map.of("node1", bytes("10.0.0.1"), "node2", bytes("10.0.0.2")));
      membership.register(one, "node1", bytes("10.0.0.11")).get(10, TimeUnit.SECONDS); // an update
      assertThat(next(heard)).containsEntry("node1", bytes("10.0.0.11"));

      assertThat(otherNode.register(two, "node1", bytes("impostor"))).failsWithin(10, TimeUnit.SECONDS)
          .withThrowableOfType(ExecutionException.class)
          .havingCause().isInstanceOf(DuplicateMemberException.class)
          .withMessageContaining("'node1'").withMessageContaining(Long.toHexString(one.leaseId()));

      // node1 restarted: its new session takes over the registration of the old lease, which is revoked
      membership.register(oneAgain, "node1", bytes("10.0.0.111"), one.leaseId()).get(10, TimeUnit.SECONDS);
      assertThat(next(heard)).containsEntry("node1", bytes("10.0.0.111"));
      assertThat(client.getLeaseClient().timeToLive(one.leaseId(), LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS)
          .getTTL()).as("the previous lease is revoked").isEqualTo(-1);
      assertThat(client.getKVClient().get(prefix.concat(bytes("node1"))).get(10, TimeUnit.SECONDS).getKvs().get(0)
          .getLease()).isEqualTo(oneAgain.leaseId());

      two.close(); // node2 leaves: its lease and entry go
      assertThat(next(heard)).isEqualTo(Map.of("node1", bytes("10.0.0.111")));
      Deadlines.await("the other node sees it too", Duration.ofSeconds(10))
          .until(() -> otherNode.members().equals(membership.members()));
      assertThat(membership.members().keySet()).containsExactly("node1");
    } finally {
      one.close();
      two.close();
      oneAgain.close();
    }
  }

  private static SortedMap<String, ByteSequence> next(BlockingQueue<SortedMap<String, ByteSequence>> heard)
      throws InterruptedException {
    SortedMap<String, ByteSequence> members = heard.poll(Deadlines.scaled(Duration.ofSeconds(10)).toMillis(),
        TimeUnit.MILLISECONDS);
    assertThat(members).as("a membership change").isNotNull();
    return members;
  }
}
