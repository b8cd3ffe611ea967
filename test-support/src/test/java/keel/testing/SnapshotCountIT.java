package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --snapshot-count} counts requests, as etcd's does, also when group commit puts many of
 * them in one Raft entry: 3,000 puts, 1,000 at a time, fill fewer than 2,500 entries (about half
 * as many entries as puts in the slowest CI run, 1,036 for 2,000 puts 500 at a time), and a
 * member started with {@code --snapshot-count 2500} still takes a snapshot (so a restart replays
 * at most about that many requests, not 2,500 entries of batches).
 */
@Timeout(value = 120)
class SnapshotCountIT {
  @Test
  void aSnapshotFollowsSnapshotCountRequestsEvenWhenTheyShareEntries() throws Exception {
    try (ClusterProcesses cluster = ClusterProcesses.builder(KeelProcesses.command()).size(1)
        .extraFlags("--snapshot-count", "2500").clusterName("snapcount").start();
         Client client = Client.builder().endpoints(cluster.clientUrls().toArray(String[]::new)).build()) {
      for (int start = 0; start < 3000; start += 1000) {
        List<CompletableFuture<?>> window = new ArrayList<>();
        for (int i = start; i < start + 1000; i++) {
          window.add(client.getKVClient().put(bytes("sc/" + i), bytes("v" + i)));
        }
        CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      }
      long raftIndex = client.getMaintenanceClient().statusMember(cluster.clientUrls().get(0))
          .get(10, TimeUnit.SECONDS).getRaftIndex();
      assertThat(raftIndex).as("the puts shared entries (group commit)").isLessThan(2500);
      Path dataDir = cluster.member(0).dataDir();
      Deadlines.await("a snapshot in " + dataDir, Duration.ofSeconds(20)).until(() -> snapshots(dataDir) > 0);
    }
  }

  private static long snapshots(Path dataDir) throws java.io.IOException {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("snapshot.")
          && !f.getFileName().toString().endsWith(".md5")).count();
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
