package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of the leader during a stream of writes: every acknowledged write is readable afterwards,
 * and writes are refused for about one election timeout.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LeaderKillIT {
  private static final Duration BEFORE_KILL = Duration.ofSeconds(3);
  private static final Duration AFTER_KILL = Duration.ofSeconds(8);

  @Test
  void acknowledgedWritesSurviveKillOfTheLeader() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).start()) {
      List<URI> endpoints = keel.clientUrls().stream().map(URI::create).toList();
      int leader = Leaders.await(endpoints);
      List<URI> survivors = new ArrayList<>(endpoints);
      survivors.remove(leader);

      List<Long> acked = new ArrayList<>();
      List<Long> ackTimes = new ArrayList<>();
      long killedAt;
      try (Client client = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build()) {
        long start = System.nanoTime();
        long i = 0;
        killedAt = -1;
        while (true) {
          long now = System.nanoTime();
          if (killedAt < 0 && now - start > BEFORE_KILL.toNanos()) {
            keel.member(leader).kill9();
            killedAt = System.nanoTime();
          }
          if (killedAt > 0 && now - killedAt > Deadlines.scaled(AFTER_KILL).toNanos()) {
            break;
          }
          long n = i++;
          try {
            client.getKVClient().put(key(n), value(n)).get(2, TimeUnit.SECONDS);
            acked.add(n);
            ackTimes.add(System.nanoTime());
          } catch (Exception refused) {
            // Not acknowledged: it may or may not have been applied, and the check below ignores it.
          }
        }
      }

      long lastBefore = -1;
      long firstAfter = -1;
      for (long t : ackTimes) {
        if (t <= killedAt) {
          lastBefore = t;
        } else if (firstAfter < 0) {
          firstAfter = t;
        }
      }
      assertThat(firstAfter).as("a write acknowledged after the kill").isPositive();
      long refusedMillis = TimeUnit.NANOSECONDS.toMillis(firstAfter - Math.max(lastBefore, killedAt));
      System.out.printf("LeaderKillIT: %d writes acknowledged; writes were refused for %d ms after kill -9 of "
          + "the leader %s (election timeout 1000 ms)%n", acked.size(), refusedMillis, keel.member(leader).name());

      try (Client reader = Client.builder().endpoints(survivors.toArray(URI[]::new)).build()) {
        for (long n : acked) {
          var kvs = reader.getKVClient().get(key(n)).get(10, TimeUnit.SECONDS).getKvs();
          assertThat(kvs).as("acknowledged write %d", n).hasSize(1);
          assertThat(kvs.get(0).getValue()).isEqualTo(value(n));
        }
      }
      assertThat(refusedMillis).as("outage after the kill").isLessThan(Deadlines.scaled(Duration.ofSeconds(6)).toMillis());
    }
  }

  private static ByteSequence key(long n) {
    return KeelCluster.bytes(String.format("leader-kill/%08d", n));
  }

  private static ByteSequence value(long n) {
    return KeelCluster.bytes("value-" + n);
  }
}
