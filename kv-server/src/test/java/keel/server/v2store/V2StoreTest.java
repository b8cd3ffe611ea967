package keel.server.v2store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import keel.server.api.http.V2Json;
import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Focused cases; the etcd-captured bodies are in {@link V2StoreEtcdTranscriptTest}. */
@Timeout(10)
class V2StoreTest {
  static final long SEC = 1_000_000_000L;
  /** 2026-01-01T00:00:00Z, well after etcd's 2000-01-01 floor. */
  static final long T0 = 1_767_225_600L * SEC;

  /** Runs watch completions only when the test says so: proves they leave the apply thread. */
  static final class ManualExecutor implements Executor {
    final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable r) {
      tasks.add(r);
    }

    void runAll() {
      Runnable r;
      while ((r = tasks.poll()) != null) {
        r.run();
      }
    }
  }

  private final ManualExecutor executor = new ManualExecutor();
  private final V2Store s = new V2Store(0, 5, executor);

  static V2Exception error(Runnable op) {
    V2Exception e = catchThrowableOfType(op::run, V2Exception.class);
    assertThat(e).isNotNull();
    return e;
  }

  @Test
  void indexAdvancesOnlyOnChanges() {
    assertThat(s.index()).isZero();
    s.set("/a", false, "1", 0, false, T0);
    s.get("/a", false, false, T0);
    error(() -> s.create("/a", false, "x", false, 0, T0));
    error(() -> s.update("/nope", "x", 0, false, T0));
    assertThat(s.index()).isEqualTo(1);
    V2Event e = s.set("/a", false, "2", 0, false, T0);
    assertThat(e.etcdIndex()).isEqualTo(2);
    assertThat(e.prevNode().value()).isEqualTo("1");
  }

  @Test
  void errorsCarryCodeMessageCauseAndIndex() {
    s.set("/f", false, "v", 0, false, T0);
    V2Exception e = error(() -> s.get("/f/g", false, false, T0));
    assertThat(e.error()).isEqualTo(V2Error.NOT_DIR);
    assertThat(e.error().message()).isEqualTo("Not a directory");
    assertThat(e.errorCause()).isEqualTo("/f");
    assertThat(e.index()).isEqualTo(1);
    e = error(() -> s.get("/x/y", false, false, T0));
    assertThat(e.error()).isEqualTo(V2Error.KEY_NOT_FOUND);
    assertThat(e.errorCause()).isEqualTo("/x");
    e = error(() -> s.update("/", "", 0, false, T0));
    assertThat(e.error()).isEqualTo(V2Error.ROOT_READ_ONLY);
    e = error(() -> s.compareAndSwap("/", "a", 0, "b", 0, false, T0));
    assertThat(e.error()).isEqualTo(V2Error.ROOT_READ_ONLY);
    // etcd: DELETE /v2/keys/?prevValue=x answers 102 with no cause at all
    e = error(() -> s.compareAndDelete("/", "x", 0, T0));
    assertThat(V2Json.error(e)).isEqualTo(
        "{\"errorCode\":102,\"message\":\"Not a file\",\"index\":1}\n");
    assertThat(s.index()).isEqualTo(1);
  }

  @Test
  void pathsAreCleanedAsGoDoes() {
    s.set("//a/./b/../c/", false, "v", 0, false, T0);
    assertThat(s.get("/a/c", false, false, T0).node().key()).isEqualTo("/a/c");
    assertThat(s.get("a/c/", false, false, T0).node().key()).isEqualTo("/a/c");
    assertThat(error(() -> s.set("/..", false, "v", 0, false, T0)).error())
        .isEqualTo(V2Error.ROOT_READ_ONLY);
  }

  @Test
  void inOrderKeysUseTheNextIndexZeroPadded() {
    s.set("/other", false, "x", 0, false, T0);
    V2Event a = s.create("/queue", false, "a", true, 0, T0);
    V2Event b = s.create("/queue/", false, "b", true, 0, T0);
    assertThat(a.node().key()).isEqualTo("/queue/00000000000000000002");
    assertThat(b.node().key()).isEqualTo("/queue/00000000000000000003");
    assertThat(a.isCreated()).isTrue();
    assertThat(s.get("/queue", true, true, T0).node().nodes())
        .extracting(V2NodeExtern::value).containsExactly("a", "b");
    // POST under a file
    assertThat(error(() -> s.create("/other", false, "c", true, 0, T0)).errorCause())
        .isEqualTo("/other");
  }

  @Test
  void sortedRecursiveGetHidesUnderscoreNodes() {
    for (String k : List.of("/d/b", "/d/a/z", "/d/_h", "/d/c", "/d/a/_y", "/d/\uD83D\uDE00",
        "/d/\uFF5E")) {
      s.set(k, false, k, 0, false, T0);
    }
    V2NodeExtern d = s.get("/d", true, true, T0).node();
    // Go orders by bytes: U+FF5E before U+1F600, unlike Java's UTF-16 compareTo
    assertThat(d.nodes()).extracting(V2NodeExtern::key)
        .containsExactly("/d/a", "/d/b", "/d/c", "/d/\uFF5E", "/d/\uD83D\uDE00");
    assertThat(d.nodes().get(0).nodes()).extracting(V2NodeExtern::key).containsExactly("/d/a/z");
    // non-recursive: children listed, without their children
    assertThat(s.get("/d", false, false, T0).node().nodes().get(0).nodes()).isNull();
    assertThat(s.get("/d/_h", false, false, T0).node().value()).isEqualTo("/d/_h");
  }

  @Test
  void compareAndSwapAndDelete() {
    s.set("/k", false, "v1", 0, false, T0);
    assertThat(error(() -> s.compareAndSwap("/k", "nope", 0, "v2", 0, false, T0)).errorCause())
        .isEqualTo("[nope != v1]");
    assertThat(error(() -> s.compareAndSwap("/k", "", 7, "v2", 0, false, T0)).errorCause())
        .isEqualTo("[7 != 1]");
    V2Event e = s.compareAndSwap("/k", "v1", 1, "v2", 0, false, T0);
    assertThat(e.action()).isEqualTo("compareAndSwap");
    assertThat(e.node().createdIndex()).isEqualTo(1);
    assertThat(e.node().modifiedIndex()).isEqualTo(2);
    assertThat(error(() -> s.compareAndDelete("/k", "v1", 0, T0)).error())
        .isEqualTo(V2Error.TEST_FAILED);
    assertThat(error(() -> s.compareAndDelete("/nope", "v1", 0, T0)).error())
        .isEqualTo(V2Error.KEY_NOT_FOUND);
    e = s.compareAndDelete("/k", "", 2, T0);
    assertThat(e.action()).isEqualTo("compareAndDelete");
    assertThat(e.prevNode().value()).isEqualTo("v2");
    assertThat(error(() -> s.get("/k", false, false, T0)).error())
        .isEqualTo(V2Error.KEY_NOT_FOUND);
  }

  @Test
  void ttlIsCeilingOfTimeLeftAndSweepExpiresInOrder() {
    s.set("/b", false, "b", T0 + 10 * SEC, false, T0);
    s.set("/a", false, "a", T0 + 10 * SEC, false, T0);
    s.set("/c", false, "c", T0 + 5 * SEC, false, T0);
    s.set("/p", false, "p", 0, false, T0);
    assertThat(s.get("/b", false, false, T0 + SEC / 2).node().ttl()).isEqualTo(10);
    assertThat(s.get("/b", false, false, T0 + SEC).node().ttl()).isEqualTo(9);
    assertThat(s.get("/b", false, false, T0 + 11 * SEC + SEC / 2).node().ttl()).isEqualTo(-1);
    assertThat(s.get("/p", false, false, T0).node().ttl()).isZero();
    assertThat(s.deleteExpiredKeys(T0 + 5 * SEC - 1)).isEmpty();
    assertThat(s.nextExpiry()).hasValue(T0 + 5 * SEC);
    List<V2Event> expired = s.deleteExpiredKeys(T0 + 10 * SEC);
    // soonest first, ties by key: deterministic on every member
    assertThat(expired).extracting(e -> e.node().key()).containsExactly("/c", "/a", "/b");
    assertThat(expired).extracting(V2Event::index).containsExactly(5L, 6L, 7L);
    assertThat(expired).allSatisfy(e -> assertThat(e.action()).isEqualTo("expire"));
    assertThat(s.hasTtlKeys()).isFalse();
    assertThat(s.get("/p", false, false, T0).node().value()).isEqualTo("p");
  }

  @Test
  void expirationBefore2000MakesAPermanentNodeOnCreate() {
    V2Event e = s.set("/k", false, "v", 1, false, T0);
    assertThat(e.node().expiration()).isZero();
    assertThat(s.hasTtlKeys()).isFalse();
  }

  @Test
  void updateAndCasCanAddOrDropATtl() {
    s.set("/k", false, "v", 0, false, T0);
    s.update("/k", "v", T0 + 5 * SEC, false, T0);
    assertThat(s.nextExpiry()).hasValue(T0 + 5 * SEC);
    s.compareAndSwap("/k", "v", 0, "w", 0, false, T0);
    assertThat(s.hasTtlKeys()).isFalse();
    s.set("/k", false, "v", T0 + SEC, false, T0);
    s.set("/k", false, "v", 0, false, T0); // replacing a TTL'd file drops its TTL
    assertThat(s.deleteExpiredKeys(T0 + 100 * SEC)).isEmpty();
  }

  @Test
  void expiringADirectoryRemovesItsSubtreeWithOneEvent() {
    s.set("/dir", true, "", T0 + 2 * SEC, false, T0);
    s.set("/dir/a/b", false, "x", T0 + 3 * SEC, false, T0);
    s.set("/dir/c", false, "y", 0, false, T0);
    List<V2Event> expired = s.deleteExpiredKeys(T0 + 5 * SEC);
    assertThat(expired).hasSize(1);
    assertThat(V2Json.event(expired.get(0))).isEqualTo(
        "{\"action\":\"expire\",\"node\":{\"key\":\"/dir\",\"dir\":true,\"modifiedIndex\":4,"
            + "\"createdIndex\":1},\"prevNode\":{\"key\":\"/dir\",\"dir\":true,\"expiration\":"
            + "\"2026-01-01T00:00:02Z\",\"ttl\":-3,\"modifiedIndex\":1,\"createdIndex\":1}}\n");
    assertThat(s.hasTtlKeys()).isFalse();
    assertThat(error(() -> s.get("/dir/c", false, false, T0)).errorCause()).isEqualTo("/dir");
  }

  @Test
  void refreshKeepsTheValueAndIsHiddenFromWatchers() {
    s.set("/k", false, "v", T0 + SEC, false, T0);
    V2Watcher w = s.watch("/k", false, false, 0);
    V2Event e = s.set("/k", false, "", T0 + 9 * SEC, true, T0);
    assertThat(e.node().value()).isEqualTo("v");
    assertThat(e.refresh()).isTrue();
    e = s.update("/k", "", T0 + 20 * SEC, true, T0);
    assertThat(e.node().value()).isEqualTo("v");
    e = s.compareAndSwap("/k", "v", 0, "", T0 + 30 * SEC, true, T0);
    assertThat(e.node().value()).isEqualTo("v");
    assertThat(s.nextExpiry()).hasValue(T0 + 30 * SEC);
    executor.runAll();
    assertThat(w.firstEvent()).isNotDone();
    // a waitIndex scan skips them too (etcd: the watch on /r at the refresh index waits)
    V2Watcher late = s.watch("/k", false, false, 2);
    executor.runAll();
    assertThat(late.firstEvent()).isNotDone();
    s.set("/k", false, "new", 0, false, T0);
    executor.runAll();
    assertThat(w.firstEvent().getNow(null).node().value()).isEqualTo("new");
    assertThat(late.firstEvent().getNow(null).index()).isEqualTo(5);
    // refresh of a missing key
    assertThat(error(() -> s.set("/nope", false, "", T0, true, T0)).error())
        .isEqualTo(V2Error.KEY_NOT_FOUND);
  }

  @Test
  void oneShotWatcherCompletesOffTheApplyThreadAndIsThenRemoved() {
    V2Watcher w = s.watch("/k", false, false, 0);
    assertThat(w.startIndex()).isZero();
    assertThat(s.watcherCount()).isEqualTo(1);
    s.set("/k", false, "1", 0, false, T0);
    assertThat(w.firstEvent()).isNotDone(); // nothing ran on the "apply" thread
    assertThat(s.watcherCount()).isZero();
    executor.runAll();
    assertThat(w.firstEvent().getNow(null).node().value()).isEqualTo("1");
  }

  @Test
  void watchersSeeWhatEtcdShows() {
    V2Watcher plain = s.watch("/d", false, false, 0);
    V2Watcher rec = s.watch("/d", true, false, 0);
    V2Watcher deep = s.watch("/d/x/y", false, false, 0);
    V2Watcher root = s.watch("/", true, true, 0);
    s.set("/d/_hidden", false, "h", 0, false, T0);
    s.set("/d/x/y", false, "v", 0, false, T0);
    executor.runAll();
    assertThat(plain.firstEvent()).isNotDone(); // a child change, not recursive
    assertThat(rec.firstEvent().getNow(null).node().key()).isEqualTo("/d/x/y");
    assertThat(deep.firstEvent().getNow(null).node().key()).isEqualTo("/d/x/y");
    assertThat(root.firstEvent().getNow(null).node().key()).isEqualTo("/d/x/y");
    V2Watcher deep2 = s.watch("/d/x/y", false, false, 0);
    s.delete("/d", false, true, T0);
    executor.runAll();
    // deleting a directory tells the watchers below it, and the plain watcher at it
    assertThat(deep2.firstEvent().getNow(null).action()).isEqualTo("delete");
    assertThat(deep2.firstEvent().getNow(null).node().key()).isEqualTo("/d");
    assertThat(plain.firstEvent().getNow(null).action()).isEqualTo("delete");
    assertThat(s.watcherCount()).isEqualTo(1); // only the stream watcher stays
  }

  @Test
  void streamWatcherQueuesEventsAndIsDroppedWhenItFallsBehind() throws Exception {
    V2Store big = new V2Store(0, 1000, executor);
    V2Watcher w = big.watch("/s", true, true, 0);
    big.set("/s/1", false, "a", 0, false, T0);
    big.set("/s/2", false, "b", 0, false, T0);
    assertThat(w.poll(1, TimeUnit.SECONDS).node().key()).isEqualTo("/s/1");
    assertThat(w.poll(1, TimeUnit.SECONDS).node().key()).isEqualTo("/s/2");
    for (int i = 0; i < V2Watcher.QUEUE_CAPACITY + 1; i++) {
      big.set("/s/k", false, "v" + i, 0, false, T0);
    }
    assertThat(w.isClosed()).isTrue();
    assertThat(big.watcherCount()).isZero();
    int drained = 0;
    while (w.poll(1, TimeUnit.MILLISECONDS) != null) {
      drained++;
    }
    assertThat(drained).isEqualTo(V2Watcher.QUEUE_CAPACITY);
  }

  @Test
  void closingAWatcherRemovesItAndCancelsItsFuture() {
    V2Watcher w = s.watch("/k", false, false, 0);
    w.close();
    w.close();
    assertThat(s.watcherCount()).isZero();
    assertThat(w.isClosed()).isTrue();
    assertThatThrownBy(() -> w.firstEvent().join()).isInstanceOf(CancellationException.class);
    s.set("/k", false, "1", 0, false, T0);
    assertThat(executor.tasks).isEmpty();
  }

  @Test
  void waitIndexReachesIntoHistoryUntilItIsCleared() {
    for (int i = 1; i <= 5; i++) {
      s.set("/k" + i, false, "v", 0, false, T0);
    }
    V2Watcher w = s.watch("/", true, false, 1); // capacity 5: still all there
    executor.runAll();
    assertThat(w.firstEvent().getNow(null).index()).isEqualTo(1);
    assertThat(s.watcherCount()).isZero(); // answered from history, never registered
    s.set("/k6", false, "v", 0, false, T0);
    V2Exception e = error(() -> s.watch("/", true, false, 1));
    assertThat(e.error()).isEqualTo(V2Error.EVENT_INDEX_CLEARED);
    assertThat(e.errorCause()).isEqualTo("the requested history has been cleared [2/1]");
    assertThat(e.index()).isEqualTo(6);
    V2Watcher w3 = s.watch("/k3", false, false, 2);
    executor.runAll();
    assertThat(w3.firstEvent().getNow(null).index()).isEqualTo(3);
    V2Watcher future = s.watch("/k3", false, false, 7);
    executor.runAll();
    assertThat(future.firstEvent()).isNotDone();
    assertThat(s.watcherCount()).isEqualTo(1);
  }

  @Test
  void snapshotRoundTripsExactly() throws IOException {
    s.set("/a/b", false, "x\u00e9\uD83D\uDE00", 0, false, T0);
    s.set("/a/_h", false, "h", T0 + 5 * SEC, false, T0);
    s.set("/ttl", true, "", T0 + 3 * SEC, false, T0);
    s.create("/q", false, "1", true, 0, T0);
    s.update("/a", "", 0, false, T0); // a directory whose modifiedIndex lags its event
    s.update("/ttl", "", T0 + 4 * SEC, true, T0); // a refresh event in the history
    for (int i = 0; i < 10; i++) {
      s.set("/many", false, "v" + i, 0, false, T0);
    }
    byte[] bytes = snapshot(s);

    V2Store restored = new V2Store(0, 5, executor);
    restored.readFrom(new ByteArrayInputStream(bytes));
    assertThat(snapshot(restored)).isEqualTo(bytes);
    assertThat(restored.index()).isEqualTo(s.index());
    assertThat(V2Json.event(restored.get("/", true, true, T0)))
        .isEqualTo(V2Json.event(s.get("/", true, true, T0)));
    assertThat(restored.nextExpiry()).isEqualTo(s.nextExpiry());
    // the history came along: same answer, same 401
    assertThat(restored.watch("/many", false, false, 12).firstEvent()).isNotNull();
    assertThat(error(() -> restored.watch("/", true, false, 3)).errorCause())
        .isEqualTo(error(() -> s.watch("/", true, false, 3)).errorCause());
    // and it keeps working the same way
    assertThat(V2Json.event(restored.deleteExpiredKeys(T0 + 10 * SEC).get(0)))
        .isEqualTo(V2Json.event(s.deleteExpiredKeys(T0 + 10 * SEC).get(0)));
    assertThat(snapshot(restored)).isEqualTo(snapshot(s));
  }

  @Test
  void corruptSnapshotIsRefused() throws IOException {
    s.set("/a", false, "1", 0, false, T0);
    byte[] bytes = snapshot(s);
    bytes[bytes.length / 2] ^= 1;
    assertThatThrownBy(() -> new V2Store().readFrom(new ByteArrayInputStream(bytes)))
        .isInstanceOf(IOException.class);
    byte[] truncated = java.util.Arrays.copyOf(snapshot(s), 20);
    assertThatThrownBy(() -> new V2Store().readFrom(new ByteArrayInputStream(truncated)))
        .isInstanceOf(IOException.class);
  }

  @Test
  void sameCommandsGiveSameBytesInAnyInsertionOrder() throws IOException {
    V2Store one = new V2Store();
    V2Store two = new V2Store();
    List<String> keys = new ArrayList<>(List.of("/z", "/m/a", "/a", "/m/b", "/q"));
    for (String k : keys) {
      one.set(k, false, "v", 0, false, T0);
    }
    java.util.Collections.reverse(keys);
    for (String k : keys) {
      two.set(k, false, "v", 0, false, T0);
    }
    // indexes differ per key, so compare listing order only
    assertThat(one.get("/", true, false, T0).node().nodes()).extracting(V2NodeExtern::key)
        .isEqualTo(two.get("/", true, false, T0).node().nodes().stream()
            .map(V2NodeExtern::key).toList());
  }

  private static byte[] snapshot(V2Store store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.writeTo(out);
    return out.toByteArray();
  }
}
