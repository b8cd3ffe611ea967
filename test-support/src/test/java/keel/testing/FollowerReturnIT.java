package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import keel.server.KeelServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member that was away long enough for the leader to have tried it dozens of times is reached
 * again within about a heartbeat of its return and serves linearizable reads, as an etcd member
 * does (etcd redials a peer every 100 ms). Ratis's own default backs the leader's retries off to
 * 5 s, during which the returning member has no leader and refuses clients.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FollowerReturnIT {
  /**
   * The fault: past the leader's 30th failed try to a member that is not there (Ratis's default
   * appender policy tries 10 times at once, 20 times a second apart, then every 5 s: a member back
   * at 27 s would wait for the try at about 30 s).
   */
  private static final Duration AWAY = Duration.ofSeconds(27);

  @RegisterExtension static final KeelCluster cluster = KeelCluster.ofSize(3);

  @Test
  void aMemberBackFromLongAwayHearsFromTheLeaderWithinAboutAHeartbeat() throws Exception {
    var key = cluster.uniqueKey();
    cluster.kv().put(key, bytes("before")).get(10, TimeUnit.SECONDS);
    int follower = (cluster.awaitLeader() + 1) % cluster.cluster().size();
    cluster.cluster().stop(follower);
    Thread.sleep(AWAY.toMillis()); // the member is away: this is the fault itself, not a wait for a condition

    KeelServer returned = cluster.cluster().start(follower);
    long startedAt = System.nanoTime();
    try (Client client = Client.builder().endpoints(returned.clientUrls().toArray(URI[]::new)).build()) {
      // linearizable: answered only once the member knows its leader (ReadIndex)
      var read = client.getKVClient().get(key).get(10, TimeUnit.SECONDS);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
      System.out.printf("FollowerReturnIT: %s away %d s served a linearizable read %d ms after its restart%n",
          returned.name(), AWAY.toSeconds(), millis);
      assertThat(read.getKvs()).hasSize(1);
      assertThat(millis).as("ms from restart to a linearizable read on the returning member")
          .isLessThan(Deadlines.scaled(Duration.ofSeconds(2)).toMillis());
    }
  }
}
