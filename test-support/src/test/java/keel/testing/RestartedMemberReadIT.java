package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A member that restarts serves no store older than the one it served before it stopped (found
 * by the torture run: a serializable read on a member replaying its log after kill -9 went back
 * 4,000 revisions). As etcd, it serves clients only once its publish entry is applied, that is,
 * once it has caught up with the cluster; a request that comes earlier waits.
 *
 * <p>The members here keep no commit index in their logs ({@code raft.server.log.log-metadata.enabled=false}),
 * so a restarted one cannot replay anything on its own: without the gate it answered at revision 1
 * (51 before). With Keel's default it replays what it knew was committed, and the window is the
 * replay of a long log (22 s in the torture run).
 */
@Timeout(180)
class RestartedMemberReadIT {
  private static final GetOption SERIALIZABLE = GetOption.builder().withSerializable(true).build();

  @Test
  void aRestartedMemberAnswersOnlyOnceItHasCaughtUp() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder("-Draft.server.log.log-metadata.enabled=false").size(3).start()) {
      List<URI> endpoints = keel.clientUrls().stream().map(URI::create).toList();
      int leader = Leaders.await(endpoints);
      int restartedIndex = (leader + 1) % 3;
      MemberProcess restarted = keel.member(restartedIndex);
      List<MemberProcess> others = new ArrayList<>(keel.members());
      others.remove(restartedIndex);
      ByteSequence key = KeelCluster.bytes("restarted-member/k");
      long before;
      try (Client all = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build();
          Client one = Client.builder().endpoints(restarted.address().clientUrl()).build()) {
        for (int i = 0; i < 50; i++) {
          all.getKVClient().put(key, KeelCluster.bytes("v" + i)).get(10, TimeUnit.SECONDS);
        }
        one.getKVClient().get(key).get(10, TimeUnit.SECONDS); // linearizable: applied there too
        before = one.getKVClient().get(key, SERIALIZABLE).get(10, TimeUnit.SECONDS).getHeader().getRevision();
      }
      restarted.kill9();
      // With both peers frozen the member hears from no leader: it cannot catch up, so it must not answer.
      others.forEach(MemberProcess::pause);
      try {
        long logBefore = Files.size(restarted.logFile());
        restarted.start();
        Deadlines.await(restarted.name() + " listening for clients again", Duration.ofSeconds(60))
            .until(() -> Files.readString(restarted.logFile()).substring((int) logBefore).contains("serving clients on"));
        try (Client one = Client.builder().endpoints(restarted.address().clientUrl()).build()) {
          CompletableFuture<GetResponse> early = one.getKVClient().get(key, SERIALIZABLE);
          try {
            long revision = early.get(3, TimeUnit.SECONDS).getHeader().getRevision();
            assertThat(revision).as("revision served by the restarted member before it caught up (%d before the restart)",
                before).isGreaterThanOrEqualTo(before);
          } catch (TimeoutException waiting) {
            // held until the member is ready: what etcd does too
          }
          others.forEach(MemberProcess::resume);
          assertThat(early.get(30, TimeUnit.SECONDS).getHeader().getRevision())
              .as("revision once the peers are back").isGreaterThanOrEqualTo(before);
        }
      } finally {
        others.stream().filter(MemberProcess::isAlive).forEach(MemberProcess::resume);
      }
    }
  }
}
