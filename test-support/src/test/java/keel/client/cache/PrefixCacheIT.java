package keel.client.cache;

import static keel.client.BackendClusters.bytes;
import static keel.client.BackendClusters.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import keel.client.Backend;
import keel.client.BackendClusters;
import keel.client.support.KeyOrder;
import keel.testing.ClusterProcesses;
import keel.testing.Deadlines;
import keel.testing.MemberProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PrefixCache against Keel and real etcd: every change in order and once; a watch outage whose
 * events were compacted away ends in a correct resync diff; a restart of every member (kill -9, back
 * on their data) loses and duplicates nothing.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PrefixCacheIT {
  @RegisterExtension
  static final BackendClusters clusters = BackendClusters.ofSize(3);

  private final ExecutorService listenerThread = Executors.newSingleThreadExecutor();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    try {
      for (int i = toClose.size() - 1; i >= 0; i--) {
        toClose.get(i).close();
      }
    } finally {
      listenerThread.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void followsEveryChangeInOrderAndOnce(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    KV kv = client.getKVClient();
    String prefix = clusters.unique("/cache") + "/";
    for (int i = 0; i < 5; i++) {
      kv.put(bytes(prefix + "k" + i), bytes("v0")).get(10, TimeUnit.SECONDS);
    }
    Replay replay = start(client, prefix);

    Random random = new Random(42);
    TreeMap<String, String> expected = new TreeMap<>();
    for (int i = 0; i < 5; i++) {
      expected.put(prefix + "k" + i, "v0");
    }
    int mutations = 0;
    long last = 0;
    for (int i = 1; i <= 100; i++) {
      String key = prefix + "k" + random.nextInt(10);
      if (i % 10 == 0) { // a transaction touching two keys: two changes of one revision
        String other = prefix + "t" + i;
        last = kv.txn().Then(Op.put(bytes(key), bytes("v" + i), PutOption.DEFAULT),
            Op.put(bytes(other), bytes("v" + i), PutOption.DEFAULT)).commit().get(10, TimeUnit.SECONDS)
            .getHeader().getRevision();
        expected.put(key, "v" + i);
        expected.put(other, "v" + i);
        mutations += 2;
      } else if (expected.containsKey(key) && random.nextInt(4) == 0) {
        last = kv.delete(bytes(key)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        expected.remove(key);
        mutations++;
      } else {
        last = kv.put(bytes(key), bytes("v" + i)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        expected.put(key, "v" + i);
        mutations++;
      }
    }
    long lastRevision = last;
    Deadlines.await("the cache reached revision " + lastRevision, Duration.ofSeconds(20))
        .until(() -> replay.revision() >= lastRevision);
    assertThat(replay.problems()).isEmpty();
    assertThat(replay.resyncs()).as("no resync in a quiet run").isEmpty();
    assertThat(replay.changes()).hasSize(mutations);
    assertThat(values(replay.view())).isEqualTo(expected);
    assertThat(Replay.Views.same(replay.view(), fresh(kv, prefix))).isTrue();
  }

  /**
   * The cache's only member is killed; meanwhile keys change and the history is compacted; the member
   * comes back: the cache reloads and its onResync diff is exactly what changed (a key created and
   * deleted during the outage does not appear), then follows new changes again.
   */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void resyncsAfterAnOutageWhoseEventsWereCompacted(Backend backend) throws Exception {
    ClusterProcesses cluster = clusters.cluster(backend);
    int victimIndex = (clusters.awaitLeader(backend) + 1) % 3; // a follower: writes go on without it
    MemberProcess victim = cluster.member(victimIndex);
    List<String> others = new ArrayList<>(cluster.clientUrls());
    others.remove(victimIndex);
    Client cacheClient = closeLater(BackendClusters.newClient(List.of(victim.address().clientUrl())));
    Client writer = closeLater(BackendClusters.newClient(others));
    KV kv = writer.getKVClient();
    String prefix = clusters.unique("/outage") + "/";
    for (String k : List.of("a", "b", "c", "d")) {
      kv.put(bytes(prefix + k), bytes("1")).get(10, TimeUnit.SECONDS);
    }
    Replay replay = start(cacheClient, prefix);
    long beforeOutage = replay.revision();

    victim.kill9();
    try {
      kv.put(bytes(prefix + "a"), bytes("2")).get(10, TimeUnit.SECONDS);
      kv.delete(bytes(prefix + "b")).get(10, TimeUnit.SECONDS);
      kv.put(bytes(prefix + "e"), bytes("1")).get(10, TimeUnit.SECONDS);
      kv.put(bytes(prefix + "f"), bytes("1")).get(10, TimeUnit.SECONDS);
      kv.delete(bytes(prefix + "f")).get(10, TimeUnit.SECONDS);
      kv.put(bytes(prefix + "c"), bytes("2")).get(10, TimeUnit.SECONDS);
      long compactAt = kv.put(bytes(prefix + "c"), bytes("3")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
      kv.compact(compactAt).get(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> kv.get(bytes(prefix + "a"), GetOption.builder().withRevision(beforeOutage + 1).build())
          .get(10, TimeUnit.SECONDS))
          .as("the outage's events are compacted away").hasMessageContaining("compacted");
    } finally {
      victim.restart();
      cluster.awaitHealthy();
    }

    Deadlines.await("the cache resynced", Duration.ofSeconds(60)).until(() -> !replay.resyncs().isEmpty());
    assertThat(replay.problems()).isEmpty();
    assertThat(replay.changes()).as("no outage event arrives one by one").isEmpty();
    List<String> diff = replay.resyncs().get(0).stream()
        .map(c -> c.type() + " " + text(c.key()).substring(prefix.length())
            + (c.type() == CacheChange.Type.PUT ? "=" + text(c.value().getValue()) : ""))
        .toList();
    assertThat(diff).containsExactly("PUT a=2", "DELETE b", "PUT c=3", "PUT e=1");
    assertThat(Replay.Views.same(replay.view(), fresh(kv, prefix))).isTrue();

    long revision = kv.put(bytes(prefix + "g"), bytes("1")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    Deadlines.await("the watch resumed after the resync", Duration.ofSeconds(20))
        .until(() -> replay.revision() >= revision);
    assertThat(replay.changes()).extracting(c -> text(c.key())).containsExactly(prefix + "g");
    assertThat(replay.problems()).isEmpty();
  }

  /** kill -9 of every member, all restarted on their data: nothing missed, nothing told twice. */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void survivesARestartOfTheWholeCluster(Backend backend) throws Exception {
    ClusterProcesses cluster = clusters.cluster(backend);
    Client cacheClient = closeLater(clusters.newClient(backend));
    String prefix = clusters.unique("/restart") + "/";
    KV kv = cacheClient.getKVClient();
    for (String k : List.of("a", "b", "c")) {
      kv.put(bytes(prefix + k), bytes("1")).get(10, TimeUnit.SECONDS);
    }
    Replay replay = start(cacheClient, prefix);
    kv.put(bytes(prefix + "a"), bytes("2")).get(10, TimeUnit.SECONDS);

    cluster.members().forEach(MemberProcess::kill9);
    cluster.members().forEach(MemberProcess::start);
    cluster.awaitHealthy();

    try (Client writer = clusters.newClient(backend)) {
      KV w = writer.getKVClient();
      Deadlines.await("a write after the restart", Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> w.delete(bytes(prefix + "b")).get(5, TimeUnit.SECONDS) != null);
      long revision = w.put(bytes(prefix + "d"), bytes("1")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
      Deadlines.await("the cache caught up after the restart", Duration.ofSeconds(60))
          .until(() -> replay.revision() >= revision);
      assertThat(replay.problems()).isEmpty();
      Map<String, String> values = values(replay.view());
      assertThat(values).isEqualTo(Map.of(prefix + "a", "2", prefix + "c", "1", prefix + "d", "1"));
      assertThat(Replay.Views.same(replay.view(), fresh(w, prefix))).isTrue();
    }
  }

  private Replay start(Client client, String prefix) throws Exception {
    PrefixCache cache = closeLater(new PrefixCache(client, bytes(prefix)));
    Replay replay = new Replay();
    cache.addListener(replay, listenerThread);
    replay.startFrom(cache.start());
    CacheSnapshot loaded = cache.start().get(30, TimeUnit.SECONDS);
    assertThat(Replay.Views.same(loaded.entries(), fresh(client.getKVClient(), prefix))).isTrue();
    return replay;
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    toClose.add(closeable);
    return closeable;
  }

  private static TreeMap<ByteSequence, KeyValue> fresh(KV kv, String prefix) throws Exception {
    TreeMap<ByteSequence, KeyValue> view = new TreeMap<>(KeyOrder.UNSIGNED);
    for (KeyValue k : kv.get(bytes(prefix), GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS)
        .getKvs()) {
      view.put(k.getKey(), k);
    }
    return view;
  }

  private static TreeMap<String, String> values(Map<ByteSequence, KeyValue> view) {
    TreeMap<String, String> values = new TreeMap<>();
    view.forEach((k, v) -> values.put(text(k), text(v.getValue())));
    return values;
  }
}
