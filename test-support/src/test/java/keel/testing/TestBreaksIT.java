package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The test-only broken-guarantee switches ({@code -Dkeel.test.break=...}, keel.server.TestBreaks)
 * on member processes, as the torture runs turn them on: each visibly breaks its guarantee, and an
 * unknown name stops the member at startup. The unit tests (KvServiceBreaksTest, WatchHubTest)
 * show that without the property nothing changes.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TestBreaksIT {
  /** Generous: without the switches these calls would not succeed at all, however long they ran. */
  private static final Duration PROMPT = Deadlines.scaled(Duration.ofSeconds(15));

  @Test
  void switchesServeStaleReadsAckUncommittedPutsAndDropAWatchEvent() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder("-Dkeel.test.break=stale-reads,early-ack,drop-watch-event")
        .size(3).start()) {
      assertThat(keel.member(0).logTail(200_000)).contains(
          "keel.test.break=stale-reads: linearizable reads are served from the local store without ReadIndex;"
              + " this member is NOT safe");
      watchStreamMissesItsTenthEvent(keel);
      majorityFrozenLeavesAMemberThatReadsStaleAndAcksUncommittedPuts(keel);
    }
  }

  /** drop-watch-event: a prefix watch on one member gets every write but its 10th. */
  private static void watchStreamMissesItsTenthEvent(ClusterProcesses keel) throws Exception {
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    try (Client client = client(keel.member(0));
        Watch.Watcher watcher = client.getWatchClient().watch(bytes("w/"),
            WatchOption.builder().isPrefix(true).withRevision(1).build(),
            Watch.listener(response -> events.addAll(response.getEvents())))) {
      List<Long> written = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        // early-ack is on too: the answer's revision is a guess, so learn the real one from a read
        client.getKVClient().put(bytes("w/" + i), bytes("v")).get(10, TimeUnit.SECONDS);
        ByteSequence key = bytes("w/" + i);
        written.add(Deadlines.await("w/" + i + " applied", Duration.ofSeconds(10))
            .until(() -> serializableGet(client, key), r -> r.getCount() == 1).getKvs().get(0).getModRevision());
      }
      List<Long> seen = new ArrayList<>();
      for (int i = 0; i < 11; i++) {
        WatchEvent event = events.poll(Deadlines.scaled(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(event).as("watch event %s of 11", i + 1).isNotNull();
        seen.add(event.getKeyValue().getModRevision());
      }
      List<Long> expected = new ArrayList<>(written);
      expected.remove(9);
      assertThat(seen).as("the 10th write (revision %s) is missing from the stream", written.get(9))
          .containsExactlyElementsOf(expected);
    }
  }

  /**
   * A member down while the others write, then restarted alone with its majority frozen: with
   * stale-reads its linearizable get answers the old value at once, with early-ack its put is
   * acknowledged though nothing can commit. Without the switches both would wait for a majority.
   * (Killed and restarted rather than paused: a paused member would still find the newer entries
   * in its socket buffers on SIGCONT.)
   */
  private static void majorityFrozenLeavesAMemberThatReadsStaleAndAcksUncommittedPuts(ClusterProcesses keel)
      throws Exception {
    MemberProcess alone = keel.member(0);
    List<MemberProcess> majority = List.of(keel.member(1), keel.member(2));
    ByteSequence key = bytes("stale/k");
    try (Client all = Client.builder().endpoints(keel.clientUrls().stream().map(URI::create).toArray(URI[]::new))
        .build()) {
      all.getKVClient().put(key, bytes("v1")).get(10, TimeUnit.SECONDS);
      for (MemberProcess m : keel.members()) {
        awaitValue(m, key, "v1");
      }
    }
    alone.kill9();
    try {
      try (Client toMajority = client(majority.get(0))) {
        toMajority.getKVClient().put(key, bytes("v2")).get(10, TimeUnit.SECONDS);
      }
      for (MemberProcess m : majority) {
        awaitValue(m, key, "v2");
      }
      majority.forEach(MemberProcess::pause);
      alone.restart();
      awaitValue(alone, key, "v1");
      try (Client client = client(alone)) {
        GetResponse stale = client.getKVClient().get(key).get(PROMPT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(stale.getKvs()).singleElement()
            .satisfies(kv -> assertThat(kv.getValue().toString(StandardCharsets.UTF_8))
                .as("a linearizable read after v2 was committed").isEqualTo("v1"));

        long before = serializableGet(client, key).getHeader().getRevision();
        PutResponse acked = client.getKVClient().put(key, bytes("v3")).get(PROMPT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(acked.getHeader().getRevision()).isEqualTo(before + 1);
        assertThat(serializableGet(client, key).getKvs().get(0).getValue().toString(StandardCharsets.UTF_8))
            .as("acknowledged, yet not applied: no majority to commit it").isEqualTo("v1");
      }
    } finally {
      for (MemberProcess m : majority) {
        if (m.isAlive()) {
          m.resume();
        }
      }
    }
  }

  @Test
  void anUnknownSwitchStopsTheMemberAtStartupWithAClearError() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder("-Dkeel.test.break=stale-reads,stale_reads")
        .size(1).create()) {
      MemberProcess member = keel.member(0);
      member.start();
      Deadlines.await(member + " to exit", Duration.ofSeconds(30)).until(() -> !member.isAlive());
      String log = Files.readString(member.logFile());
      assertThat(log).contains("keel: failed to start the server: keel.test.break=stale-reads,stale_reads:"
          + " unknown switch 'stale_reads'; the known test-only switches are stale-reads, early-ack,"
          + " drop-watch-event. Remove the -Dkeel.test.break JVM option to run a normal member");
      assertThat(log).doesNotContain("serving clients");
    }
  }

  private static Client client(MemberProcess member) {
    return Client.builder().endpoints(URI.create(member.address().clientUrl())).build();
  }

  private static GetResponse serializableGet(Client client, ByteSequence key) throws Exception {
    return client.getKVClient().get(key, GetOption.builder().withSerializable(true).build()).get(5, TimeUnit.SECONDS);
  }

  private static void awaitValue(MemberProcess member, ByteSequence key, String value) {
    try (Client client = client(member)) {
      Deadlines.await(member + " to apply " + value, Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> serializableGet(client, key).getKvs().stream()
              .anyMatch(kv -> kv.getValue().toString(StandardCharsets.UTF_8).equals(value)));
    }
  }
}
