package keel.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.PutRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import keel.server.mvcc.LeaseLookup;
import keel.server.mvcc.MvccStore;
import keel.server.mvcc.WriteResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hub fed as the applier feeds it: a write on the store, then its events published. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WatchHubTest {
  private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});
  private static final long WAIT_SECONDS = 10;

  private final MvccStore store = new MvccStore();
  private final BlockingQueue<Object> signals = new LinkedBlockingQueue<>();
  private WatchHub hub;

  @AfterEach
  void close() {
    if (hub != null) {
      hub.close();
    }
  }

  private WatchHub hub(WatchHub.Settings settings) {
    hub = new WatchHub("test", settings, () -> store);
    return hub;
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private long put(String key, String value) {
    return published(store.put(PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build(), LeaseLookup.NONE));
  }

  private long delete(String key, String end) {
    return published(store.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs(key)).setRangeEnd(bs(end)).build()));
  }

  private long published(WriteResult<?> r) {
    if (!r.events().isEmpty()) {
      hub.publish(r.revision(), r.events());
    }
    return r.revision();
  }

  private Watcher watch(String key, ByteString end, long start, boolean noPut, boolean noDelete, boolean prevKv) {
    Watcher w = hub.watcher(1, new WatchSpec(bs(key), end, start, noPut, noDelete, prevKv), false,
        () -> signals.offer(Boolean.TRUE));
    hub.start(w);
    return w;
  }

  private Watcher watchPrefix(String prefix, long start) {
    return watch(prefix, bs(prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1)),
        start, false, false, false);
  }

  /** The next update, waiting for the hub's signal (never sleeping). */
  private WatchUpdate next(Watcher w) throws InterruptedException {
    while (true) {
      WatchUpdate u = w.poll();
      if (u != null) {
        return u;
      }
      if (signals.poll(WAIT_SECONDS, TimeUnit.SECONDS) == null) {
        fail("no update within " + WAIT_SECONDS + " s");
      }
    }
  }

  /** Events until {@code count} have come. */
  private List<Event> events(Watcher w, int count) throws InterruptedException {
    List<Event> out = new ArrayList<>();
    while (out.size() < count) {
      WatchUpdate u = next(w);
      assertThat(u.isCompaction()).isFalse();
      out.addAll(u.events());
    }
    assertThat(out).hasSize(count);
    return out;
  }

  private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    BlockingQueue<Object> tick = new LinkedBlockingQueue<>();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      tick.poll(5, TimeUnit.MILLISECONDS);
    }
  }

  private static List<String> show(List<Event> events) {
    return events.stream().map(e -> {
      String s = e.getType() + " " + e.getKv().getKey().toStringUtf8() + "@" + e.getKv().getModRevision();
      return e.hasPrevKv() ? s + " prev@" + e.getPrevKv().getModRevision() : s;
    }).toList();
  }

  @Test
  void syncedWatcherGetsEachWriteStrippedOfPrevKvUnlessAsked() throws Exception {
    hub(WatchHub.Settings.DEFAULTS);
    Watcher plain = watch("a", ByteString.EMPTY, 2, false, false, false);
    Watcher withPrev = watch("a", ByteString.EMPTY, 2, false, false, true);
    put("a", "1");
    put("b", "1");
    put("a", "2");
    delete("a", "");
    assertThat(show(events(plain, 3))).containsExactly("PUT a@2", "PUT a@4", "DELETE a@5");
    assertThat(show(events(withPrev, 3))).containsExactly("PUT a@2", "PUT a@4 prev@2", "DELETE a@5 prev@4");
    // one update per write, headed by its revision
    assertThat(plain.poll()).isNull();
  }

  @Test
  void filtersDropPutsOrDeletes() throws Exception {
    hub(WatchHub.Settings.DEFAULTS);
    Watcher noPut = watch("k", ZERO, 2, true, false, false);
    Watcher noDelete = watch("k", ZERO, 2, false, true, false);
    put("k1", "1");
    put("k2", "1");
    delete("k1", "");
    put("k1", "2");
    delete("k", "l");
    assertThat(show(events(noPut, 3))).containsExactly("DELETE k1@4", "DELETE k1@6", "DELETE k2@6");
    assertThat(show(events(noDelete, 3))).containsExactly("PUT k1@2", "PUT k2@3", "PUT k1@5");
  }

  @Test
  void pastStartCatchesUpFromHistoryWhileWritesGoOnWithoutGapOrDuplicate() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withPageLimit(7).withQueueCapacity(3));
    for (int i = 0; i < 200; i++) {
      put("p/" + (i % 17), "v" + i);
    }
    Watcher w = watchPrefix("p/", 2);
    Thread writer = new Thread(() -> {
      for (int i = 200; i < 1000; i++) {
        put("p/" + (i % 17), "v" + i);
      }
    });
    writer.start();
    List<Event> got = events(w, 1000);
    writer.join();
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i).getKv().getModRevision()).as("event %d", i).isEqualTo(i + 2);
      assertThat(got.get(i).getKv().getValue().toStringUtf8()).isEqualTo("v" + i);
    }
    awaitTrue("watcher back in the synced group", () -> hub.syncedCount() == 1 && hub.unsyncedCount() == 0);
    put("p/x", "after");
    assertThat(show(events(w, 1))).containsExactly("PUT p/x@1002");
  }

  @Test
  void fullQueueMakesTheWatcherUnsyncedAndItCatchesUp() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withQueueCapacity(2).withPageLimit(5));
    Watcher slow = watch("s", ByteString.EMPTY, 2, false, false, false);
    Watcher other = watch("o", ByteString.EMPTY, 2, false, false, false);
    for (int i = 0; i < 50; i++) {
      put("s", "v" + i);
    }
    awaitTrue("slow watcher unsynced", () -> hub.unsyncedCount() == 1 && hub.revision() == 51);
    // the reader has not taken anything: the hub holds no more than the queue's two updates for it
    put("o", "x");
    assertThat(show(events(other, 1))).containsExactly("PUT o@52");
    List<Event> got = events(slow, 50);
    for (int i = 0; i < 50; i++) {
      assertThat(got.get(i).getKv().getModRevision()).isEqualTo(i + 2);
    }
    awaitTrue("slow watcher synced again", () -> hub.syncedCount() == 2 && hub.unsyncedCount() == 0);
    put("s", "last");
    assertThat(show(events(slow, 1))).containsExactly("PUT s@53");
  }

  @Test
  void droppedPublicationsAreReadFromHistory() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withIncomingCapacity(1));
    Watcher w = watchPrefix("d/", 2);
    for (int i = 0; i < 2000; i++) {
      put("d/" + (i % 5), "v" + i);
    }
    List<Event> got = events(w, 2000);
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i).getKv().getModRevision()).isEqualTo(i + 2);
    }
  }

  @Test
  void compactedStartRevisionEndsTheWatcherWithTheCompactRevision() throws Exception {
    hub(WatchHub.Settings.DEFAULTS);
    for (int i = 0; i < 10; i++) {
      put("c", "v" + i);
    }
    store.compact(CompactionRequest.newBuilder().setRevision(6).build());
    Watcher tooOld = watch("c", ByteString.EMPTY, 5, false, false, false);
    WatchUpdate update = next(tooOld);
    assertThat(update.isCompaction()).isTrue();
    assertThat(update.compactRevision()).isEqualTo(6);
    assertThat(update.events()).isEmpty();
    awaitTrue("compacted watcher gone", () -> hub.unsyncedCount() == 0);
    put("c", "more");
    assertThat(tooOld.poll()).isNull();
    // from exactly the compact revision: fine, as in etcd
    Watcher atCompact = watch("c", ByteString.EMPTY, 6, false, false, false);
    assertThat(events(atCompact, 7).get(0).getKv().getModRevision()).isEqualTo(6);
  }

  @Test
  void canceledWatcherGetsNothingMore() throws Exception {
    hub(WatchHub.Settings.DEFAULTS);
    Watcher w = watch("x", ByteString.EMPTY, 2, false, false, false);
    put("x", "1");
    assertThat(events(w, 1)).hasSize(1);
    hub.cancel(w);
    awaitTrue("canceled watcher gone", () -> hub.syncedCount() == 0);
    put("x", "2");
    Watcher probe = watch("x", ByteString.EMPTY, 4, false, false, false);
    put("x", "3");
    assertThat(events(probe, 1)).hasSize(1);
    assertThat(w.poll()).isNull();
    assertThat(w.isDone()).isTrue();
  }

  @Test
  void progressGoesToIdleSyncedWatchersThatAskedForIt() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withProgressInterval(Duration.ofMillis(50)));
    put("q", "1");
    Watcher asked = hub.watcher(1, new WatchSpec(bs("q"), ByteString.EMPTY, 3, false, false, false), true,
        () -> signals.offer(Boolean.TRUE));
    hub.start(asked);
    Watcher silent = watch("q", ByteString.EMPTY, 3, false, false, false);
    WatchUpdate progress = next(asked);
    assertThat(progress.events()).isEmpty();
    assertThat(progress.revision()).isEqualTo(2);
    assertThat(silent.poll()).isNull();
  }

  @Test
  void snapshotInstallMovesWatchersToTheNewHistory() throws Exception {
    hub(WatchHub.Settings.DEFAULTS);
    Watcher w = watch("r", ByteString.EMPTY, 2, false, false, false);
    put("r", "1");
    assertThat(events(w, 1)).hasSize(1);
    // writes the hub never saw (as when a follower installs a leader's snapshot)
    store.put(PutRequest.newBuilder().setKey(bs("r")).setValue(bs("2")).build(), LeaseLookup.NONE);
    store.put(PutRequest.newBuilder().setKey(bs("r")).setValue(bs("3")).build(), LeaseLookup.NONE);
    hub.restored(store.currentRevision());
    put("r", "4");
    assertThat(show(events(w, 3))).containsExactly("PUT r@3", "PUT r@4", "PUT r@5");
  }

  // ---- keel.test.break=drop-watch-event (the torture checkers' self-test only) -----------------

  @Test
  void droppedEventSettingTakesExactlyTheNthEventOfEachWatchersStream() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withDroppedEvent(3));
    Watcher early = watchPrefix("d/", 2);
    put("d/a", "1");
    put("d/b", "1");
    Watcher late = watchPrefix("d/", 4);
    for (int i = 0; i < 5; i++) {
      put("d/" + i, "1");
    }
    // revisions 2..8; each stream loses its own third event, and only that one
    assertThat(show(events(early, 6))).containsExactly("PUT d/a@2", "PUT d/b@3", "PUT d/1@5", "PUT d/2@6",
        "PUT d/3@7", "PUT d/4@8");
    assertThat(show(events(late, 4))).containsExactly("PUT d/0@4", "PUT d/1@5", "PUT d/3@7", "PUT d/4@8");
    put("d/z", "1");
    assertThat(show(events(early, 1))).containsExactly("PUT d/z@9");
    assertThat(show(events(late, 1))).containsExactly("PUT d/z@9");
  }

  @Test
  void droppedEventIsCountedOnlyWhenQueuedSoAWatcherCatchingUpStillLosesExactlyOne() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withQueueCapacity(2).withDroppedEvent(3));
    Watcher w = watchPrefix("c/", 2);
    awaitTrue("the watcher to be synced", () -> hub.syncedCount() == 1);
    for (int i = 0; i < 10; i++) {
      put("c/" + i, "1"); // revisions 2..11; the queue is full at 4, which then comes from history
    }
    awaitTrue("the hub to reach revision 11", () -> hub.revision() == 11);
    List<Event> got = events(w, 9);
    assertThat(got).extracting(e -> e.getKv().getModRevision()).containsExactly(2L, 3L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
  }

  @Test
  void noEventIsDroppedWithoutTheSetting() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withQueueCapacity(2));
    Watcher w = watchPrefix("n/", 2);
    for (int i = 0; i < 12; i++) {
      put("n/" + i, "1");
    }
    assertThat(events(w, 12)).extracting(e -> e.getKv().getModRevision())
        .containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L);
  }

  @Test
  void countsWatchersAndThoseBehindAsEtcdsGauges() throws Exception {
    hub(WatchHub.Settings.DEFAULTS.withQueueCapacity(2).withPageLimit(5));
    WatchCounts counts = hub.counts();
    Watcher slow = watch("s", ByteString.EMPTY, 2, false, false, false);
    Watcher other = watch("o", ByteString.EMPTY, 2, false, false, false);
    awaitTrue("two synced watchers", () -> counts.watchers() == 2 && counts.slowWatchers() == 0);
    for (int i = 0; i < 10; i++) {
      put("s", "v" + i);
    }
    awaitTrue("the unread watcher counted as slow", () -> counts.watchers() == 2 && counts.slowWatchers() == 1);
    events(slow, 10);
    awaitTrue("caught up", () -> counts.slowWatchers() == 0);
    hub.cancel(slow);
    hub.cancel(other);
    awaitTrue("no watchers", () -> counts.watchers() == 0);
  }

  @Test
  void eventsArePendingUntilTakenAndACancelTakesTheRest() throws Exception {
    hub(WatchHub.Settings.DEFAULTS);
    WatchCounts counts = hub.counts();
    Watcher w = watch("e", ByteString.EMPTY, 2, false, false, false);
    put("e", "1");
    put("e", "2");
    put("e", "3");
    awaitTrue("three events queued", () -> counts.pendingEvents() == 3);
    assertThat(next(w).events()).hasSize(1);
    assertThat(counts.pendingEvents()).isEqualTo(2);
    assertThat(counts.takenEvents()).isEqualTo(1);
    hub.cancel(w);
    assertThat(counts.pendingEvents()).isZero();
    assertThat(counts.takenEvents()).isEqualTo(3);
  }

  @Test
  void streamsCountFromOpenToClose() {
    WatchCounts counts = new WatchCounts();
    counts.streamOpened();
    counts.streamOpened();
    counts.streamClosed();
    assertThat(counts.streams()).isEqualTo(1);
  }
}
