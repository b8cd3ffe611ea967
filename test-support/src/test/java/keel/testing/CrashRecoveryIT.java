package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of every member, then restart: every key and the revision are intact. Then a member that
 * was down while the others wrote, snapshotted, purged their logs and compacted catches up.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CrashRecoveryIT {
  private static final String PREFIX = "crash/";
  private static final int SNAPSHOT_COUNT = 100;

  @Test
  void everyKeyAndTheRevisionSurviveKillOfAllMembersAndALaggingMemberCatchesUp() throws Exception {
    // Small log segments, so that the purge after a snapshot really drops the entries the lagging
    // member would need, and it must catch up by snapshot.
    try (ClusterProcesses keel = KeelProcesses.builder("-D" + "raft.server.log.segment.size.max=64KB")
        .size(3).extraFlags("--snapshot-count=" + SNAPSHOT_COUNT).start()) {
      Map<String, String> expected = new TreeMap<>();
      long revision;
      try (Client client = client(keel.clientUrls())) {
        for (int i = 0; i < 300; i++) {
          String key = PREFIX + String.format("%04d", i % 150);
          client.getKVClient().put(bytes(key), bytes("v" + i)).get(10, TimeUnit.SECONDS);
          expected.put(key, "v" + i);
        }
        for (int i = 0; i < 150; i += 10) {
          String key = PREFIX + String.format("%04d", i);
          client.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS);
          expected.remove(key);
        }
        revision = client.getKVClient().get(bytes(PREFIX)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
      }

      keel.members().forEach(MemberProcess::kill9);
      keel.members().forEach(MemberProcess::restart);
      keel.awaitHealthy();

      try (Client client = client(keel.clientUrls())) {
        GetResponse all = prefix(client, false);
        assertThat(contents(all)).isEqualTo(expected);
        assertThat(all.getHeader().getRevision()).as("revision after restart").isEqualTo(revision);
      }

      MemberProcess lagging = keel.member(2);
      lagging.kill9();
      List<String> others = keel.clientUrls().subList(0, 2);
      long compactedAt;
      try (Client client = client(others)) {
        // A snapshot larger than one peer message (etcd's stores reach that soon): 20 values of
        // 1 MiB, then the filler's snapshots. Ratis sends it in chunks, each of which must fit the
        // peers' gRPC limit.
        java.util.Random random = new java.util.Random(20261206); // values that do not compress
        for (int i = 0; i < 20; i++) {
          StringBuilder big = new StringBuilder(1 << 20);
          for (int c = 0; c < 1 << 20; c++) {
            big.append((char) ('!' + random.nextInt(90)));
          }
          String key = PREFIX + "big/" + i;
          client.getKVClient().put(bytes(key), bytes(big.toString())).get(10, TimeUnit.SECONDS);
          expected.put(key, big.toString());
        }
        String filler = "x".repeat(200);
        for (int i = 0; i < 6 * SNAPSHOT_COUNT; i++) {
          String key = PREFIX + "later/" + String.format("%04d", i % 97);
          client.getKVClient().put(bytes(key), bytes(filler + i)).get(10, TimeUnit.SECONDS);
          expected.put(key, filler + i);
        }
        compactedAt = client.getKVClient().get(bytes(PREFIX)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        client.getKVClient().compact(compactedAt).get(10, TimeUnit.SECONDS);
      }
      assertThat(snapshots(keel.member(0).dataDir())).as("snapshots on a running member").isNotEmpty();

      lagging.restart();
      keel.awaitHealthy(List.of(lagging));
      try (Client client = client(List.of(lagging.address().clientUrl()))) {
        GetResponse caughtUp = Deadlines.await(lagging.name() + " caught up", Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(() -> prefix(client, true), r -> r.getHeader().getRevision() >= compactedAt);
        assertThat(contents(caughtUp)).isEqualTo(expected);
      }
      String log = Files.readString(lagging.logFile());
      System.out.printf("CrashRecoveryIT: %d keys and revision %d intact after kill -9 of all; %s caught up to "
          + "revision %d %s%n", expected.size(), revision, lagging.name(), compactedAt,
          log.contains("installed a snapshot from the leader") ? "by snapshot" : "by log");
      assertThat(log).as("the lagging member caught up by snapshot").contains("installed a snapshot from the leader");
    }
  }

  private static Client client(List<String> urls) {
    // the prefix read answers the 20 MiB of big values at once
    return Client.builder().endpoints(urls.stream().map(URI::create).toArray(URI[]::new))
        .maxInboundMessageSize(64 << 20).build();
  }

  private static GetResponse prefix(Client client, boolean serializable) throws Exception {
    return client.getKVClient().get(bytes(PREFIX),
        GetOption.builder().isPrefix(true).withSerializable(serializable).build()).get(10, TimeUnit.SECONDS);
  }

  private static Map<String, String> contents(GetResponse response) {
    Map<String, String> contents = new TreeMap<>();
    for (KeyValue kv : response.getKvs()) {
      contents.put(string(kv.getKey()), string(kv.getValue()));
    }
    return contents;
  }

  private static String string(ByteSequence bytes) {
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static List<Path> snapshots(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
    }
  }
}
