package keel.client.cache;

import static keel.client.support.FakeKvWatchClient.delete;
import static keel.client.support.FakeKvWatchClient.events;
import static keel.client.support.FakeKvWatchClient.getResponse;
import static keel.client.support.FakeKvWatchClient.put;
import static keel.client.support.Kvs.bytes;
import static keel.client.support.Kvs.proto;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import keel.client.support.FakeKvWatchClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PrefixCache's bookkeeping against a scripted get and watch: order, duplicates, resync. */
@Timeout(20)
class PrefixCacheTest {
  private final FakeKvWatchClient client = new FakeKvWatchClient();
  private final PrefixCache cache = new PrefixCache(client, bytes("/p/"));
  private final BlockingQueue<String> heard = new LinkedBlockingQueue<>();

  @AfterEach
  void close() {
    cache.close();
  }

  private void listen() {
    cache.addListener(new PrefixCacheListener() {
      @Override
      public void onChanges(List<CacheChange> changes, CacheSnapshot after) {
        heard.add("changes " + changes + " -> " + after.revision() + " " + after.size());
      }

      @Override
      public void onResync(List<CacheChange> diff, CacheSnapshot after) {
        heard.add("resync " + diff + " -> " + after.revision() + " " + after.size());
      }
    }, Runnable::run);
  }

  private String next() throws InterruptedException {
    String event = heard.poll(5, TimeUnit.SECONDS);
    assertThat(event).as("a listener call").isNotNull();
    return event;
  }

  private FakeKvWatchClient.Started load() throws Exception {
    listen();
    CompletableFuture<CacheSnapshot> started = cache.start();
    FakeKvWatchClient.Get get = client.nextGet();
    assertThat(get.key()).isEqualTo(bytes("/p/"));
    assertThat(get.option().isPrefix()).isTrue();
    get.answer().complete(getResponse(10, proto("/p/a", "1", 5, 5), proto("/p/b", "1", 6, 6)));
    CacheSnapshot loaded = started.get(5, TimeUnit.SECONDS);
    assertThat(loaded.revision()).isEqualTo(10);
    assertThat(loaded.entries().keySet()).containsExactly(bytes("/p/a"), bytes("/p/b"));
    FakeKvWatchClient.Started watch = client.nextWatch();
    assertThat(watch.option.getRevision()).as("watch from the get's revision + 1").isEqualTo(11);
    assertThat(watch.option.isPrefix()).isTrue();
    return watch;
  }

  @Test
  void changesArriveInOrderAndDuplicatesAreDropped() throws Exception {
    FakeKvWatchClient.Started watch = load();
    watch.listener.onNext(events(put(proto("/p/c", "1", 11, 11)), delete("/p/a", 12)));
    assertThat(next()).isEqualTo("changes [PUT /p/c@11, DELETE /p/a@12] -> 12 2");
    watch.listener.onNext(events(put(proto("/p/c", "1", 11, 11)))); // seen already
    watch.listener.onNext(events(put(proto("/p/b", "2", 6, 13))));
    assertThat(next()).isEqualTo("changes [PUT /p/b@13] -> 13 2");
    assertThat(cache.snapshot().get(bytes("/p/b")).getValue()).isEqualTo(bytes("2"));
    assertThat(cache.snapshot().revision()).isEqualTo(13);
  }

  @Test
  void aCompactedWatchReloadsAndReportsTheDiffThenWatchesFromTheNewRevision() throws Exception {
    FakeKvWatchClient.Started watch = load();
    watch.listener.onError(EtcdExceptionFactory.newCompactedException(15));
    FakeKvWatchClient.Get reload = client.nextGet();
    assertThat(watch.closed).as("the old watch is given up").isTrue();
    // meanwhile: a deleted, b changed, c created
    reload.answer().complete(getResponse(20, proto("/p/b", "2", 6, 14), proto("/p/c", "1", 16, 16)));
    assertThat(next()).isEqualTo("resync [DELETE /p/a@20, PUT /p/b@14, PUT /p/c@16] -> 20 2");
    FakeKvWatchClient.Started second = client.nextWatch();
    assertThat(second.option.getRevision()).isEqualTo(21);

    watch.listener.onNext(events(put(proto("/p/z", "late", 12, 12)))); // the old watch's late event
    second.listener.onNext(events(put(proto("/p/d", "1", 21, 21))));
    assertThat(next()).isEqualTo("changes [PUT /p/d@21] -> 21 3");
    assertThat(cache.snapshot().entries()).doesNotContainKey(bytes("/p/z"));
  }

  @Test
  void aFailedWatchAndFailedReloadsAreRetriedUntilTheClusterAnswers() throws Exception {
    FakeKvWatchClient.Started watch = load();
    watch.listener.onError(EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "connection refused"));
    client.nextGet().answer().completeExceptionally(
        EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "connection refused"));
    client.nextGet().answer().completeExceptionally(
        EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "connection refused"));
    client.nextGet().answer().complete(getResponse(10, proto("/p/a", "1", 5, 5), proto("/p/b", "1", 6, 6)));
    assertThat(next()).isEqualTo("resync [] -> 10 2");
    assertThat(client.nextWatch().option.getRevision()).isEqualTo(11);
  }

  @Test
  void aWatchThatEndsIsReplaced() throws Exception {
    FakeKvWatchClient.Started watch = load();
    watch.listener.onCompleted();
    client.nextGet().answer().complete(getResponse(11, proto("/p/a", "1", 5, 5)));
    assertThat(next()).isEqualTo("resync [DELETE /p/b@11] -> 11 1");
    client.nextWatch();
  }

  @Test
  void closeStopsTheWatchAndAnUnloadedStartFails() throws Exception {
    FakeKvWatchClient.Started watch = load();
    cache.close();
    await().atMost(Duration.ofSeconds(2)).until(() -> watch.closed);
    watch.listener.onNext(events(put(proto("/p/c", "1", 11, 11))));
    assertThat(heard.poll(200, TimeUnit.MILLISECONDS)).isNull();

    PrefixCache unloaded = new PrefixCache(client, bytes("/q/"));
    CompletableFuture<CacheSnapshot> started = unloaded.start();
    client.nextGet();
    unloaded.close();
    assertThat(started).failsWithin(1, TimeUnit.SECONDS);
  }
}
