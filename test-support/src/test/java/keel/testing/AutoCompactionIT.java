package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import keel.server.KeelServer;
import keel.server.compactor.AutoCompaction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --auto-compaction-mode=revision --auto-compaction-retention=10}: the leader compacts through
 * the log, so every member ends compacted at the newest revision minus ten, and older revisions
 * answer etcd's compacted error. etcd looks every five minutes; the test looks every 200 ms.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AutoCompactionIT {
  static {
    System.setProperty(KeelServer.COMPACTION_INTERVAL_PROPERTY, "200");
  }

  private static final int RETENTION = 10;

  @AfterAll
  static void clearInterval() {
    System.clearProperty(KeelServer.COMPACTION_INTERVAL_PROPERTY);
  }

  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3,
      b -> b.autoCompaction(AutoCompaction.parse("revision", Integer.toString(RETENTION))));

  @Test
  void everyMemberKeepsTheLastTenRevisions() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    long newest = 0;
    for (int i = 0; i < 50; i++) {
      newest = cluster.kv().put(key, bytes("v" + i)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }
    long keptFrom = newest - RETENTION;
    for (URI endpoint : cluster.endpoints()) {
      try (Client member = Client.builder().endpoints(endpoint).build()) {
        Deadlines.await(endpoint + " compacted at " + keptFrom, Duration.ofSeconds(20))
            .until(() -> compacted(member, key, keptFrom - 1));
        assertThat(compacted(member, key, keptFrom)).as("revision %d kept on %s", keptFrom, endpoint).isFalse();
        assertThat(read(member, key, keptFrom).getKvs().get(0).getValue()).isEqualTo(bytes("v" + (49 - RETENTION)));
      }
    }
  }

  /** Whether a serializable read of {@code key} at {@code revision} on this member is refused as compacted. */
  private static boolean compacted(Client member, ByteSequence key, long revision) {
    Throwable failure = catchThrowable(() -> read(member, key, revision));
    return failure != null && String.valueOf(failure.getMessage()).contains("required revision has been compacted");
  }

  private static io.etcd.jetcd.kv.GetResponse read(Client member, ByteSequence key, long revision) throws Exception {
    return member.getKVClient().get(key, GetOption.builder().withRevision(revision).withSerializable(true).build())
        .get(10, TimeUnit.SECONDS);
  }
}
