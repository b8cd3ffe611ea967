package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * etcd's classic stale read (etcd-io/etcd#20418, and Jepsen's before it): a leader frozen by
 * SIGSTOP wakes up not knowing that the others elected a successor and committed writes. A
 * linearizable read it serves before it learns so must not return what the successor overwrote.
 * The leader has to confirm with a majority, by a heartbeat round begun after the read arrived,
 * that it still leads. Ratis skips that round when its commit index was confirmed before (the
 * case here: nothing was written through the frozen leader since its last confirmed read), so
 * Keel gives every read a round of its own (StrictReadIndex).
 */
@Timeout(180)
class PausedLeaderReadIT {
  private static final int READS_AT_WAKE_UP = 20;

  @Test
  void aLeaderWokenFromAPauseServesNoReadFromBeforeItsSuccessor() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).start()) {
      List<URI> endpoints = keel.clientUrls().stream().map(URI::create).toList();
      int leader = Leaders.await(endpoints);
      MemberProcess paused = keel.member(leader);
      List<URI> others = new ArrayList<>(endpoints);
      others.remove(leader);
      ByteSequence key = KeelCluster.bytes("paused-leader-read/k");
      try (Client toPaused = Client.builder().endpoints(paused.address().clientUrl()).build();
          Client toOthers = Client.builder().endpoints(others.toArray(URI[]::new)).build()) {
        toPaused.getKVClient().put(key, KeelCluster.bytes("before")).get(10, TimeUnit.SECONDS);
        // Linearizable reads through the leader: its commit index is now confirmed by a majority.
        for (int i = 0; i < 3; i++) {
          assertThat(value(toPaused.getKVClient().get(key).get(10, TimeUnit.SECONDS))).isEqualTo("before");
        }
        List<CompletableFuture<GetResponse>> reads = new ArrayList<>();
        paused.pause();
        try {
          Leaders.await(others);
          toOthers.getKVClient().put(key, KeelCluster.bytes("after")).get(15, TimeUnit.SECONDS);
          // Each read begins after "after" was acknowledged, so each must see it (or fail).
          reads.addAll(SocketQueues.queueInFrozenMember(paused.address().clientPort(), READS_AT_WAKE_UP,
              () -> toPaused.getKVClient().get(key), "the reads"));
        } finally {
          paused.resume();
        }
        int answered = 0;
        for (CompletableFuture<GetResponse> read : reads) {
          try {
            assertThat(value(read.get(20, TimeUnit.SECONDS)))
                .as("a linearizable read sent to the woken leader after the successor's write").isEqualTo("after");
            answered++;
          } catch (ExecutionException | TimeoutException refused) {
            // refused or timed out: allowed (the member was deposed), never stale
          }
        }
        assertThat(answered).as("reads answered after the wake-up").isPositive();
      }
    }
  }

  private static String value(GetResponse response) {
    assertThat(response.getKvs()).hasSize(1);
    return response.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
  }
}
