package keel.client.support;

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
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** WaitDeletes (and the GetWatchLoop under it) against a scripted get and watch. */
@Timeout(20)
class WaitDeletesTest {
  private final FakeKvWatchClient client = new FakeKvWatchClient();
  private final SerialExecutor serial = new SerialExecutor(EventThreads.shared());

  @Test
  void watchesTheNewestKeyAheadUntilItIsDeletedThenLooksAgain() throws Exception {
    CompletableFuture<Long> done = WaitDeletes.start(client, bytes("/e/"), 9, serial);
    FakeKvWatchClient.Get first = client.nextGet();
    assertThat(first.key()).isEqualTo(bytes("/e/"));
    assertThat(first.option().getMaxCreateRevision()).isEqualTo(9);
    assertThat(first.option().getSortOrder()).isEqualTo(GetOption.SortOrder.DESCEND);
    assertThat(first.option().getLimit()).isEqualTo(1);
    first.answer().complete(getResponse(20, proto("/e/b", "", 8, 8)));

    FakeKvWatchClient.Started watch = client.nextWatch();
    assertThat(watch.key).isEqualTo(bytes("/e/b"));
    assertThat(watch.option.getRevision()).isEqualTo(20);
    watch.listener.onNext(events(put(proto("/e/b", "x", 8, 21))));
    assertThat(client.gets.poll(200, TimeUnit.MILLISECONDS)).as("a put of the key ahead is no reason to look").isNull();

    watch.listener.onNext(events(delete("/e/b", 22)));
    client.nextGet().answer().complete(getResponse(22));
    assertThat(done.get(5, TimeUnit.SECONDS)).isEqualTo(22);
    assertThat(watch.closed).isTrue();
  }

  @Test
  void aFailedGetIsRetriedAndAFailedWatchLooksAgainOnce() throws Exception {
    CompletableFuture<Long> done = WaitDeletes.start(client, bytes("/e/"), 9, serial);
    client.nextGet().answer().completeExceptionally(
        EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "connection refused"));
    client.nextGet().answer().complete(getResponse(20, proto("/e/a", "", 3, 3)));
    FakeKvWatchClient.Started watch = client.nextWatch();

    watch.listener.onError(EtcdExceptionFactory.newCompactedException(25));
    watch.listener.onCompleted();
    FakeKvWatchClient.Get again = client.nextGet();
    assertThat(client.gets.poll(200, TimeUnit.MILLISECONDS)).as("one look per watch").isNull();
    assertThat(watch.closed).isTrue();
    again.answer().complete(getResponse(30));
    assertThat(done.get(5, TimeUnit.SECONDS)).isEqualTo(30);
  }

  @Test
  void cancellingTheFutureStopsTheWaitAndClosesItsWatch() throws Exception {
    CompletableFuture<Long> done = WaitDeletes.start(client, bytes("/e/"), 9, serial);
    client.nextGet().answer().complete(getResponse(20, proto("/e/a", "", 3, 3)));
    FakeKvWatchClient.Started watch = client.nextWatch();

    done.cancel(false);
    await().atMost(Duration.ofSeconds(2)).until(() -> watch.closed);
    watch.listener.onNext(events(delete("/e/a", 21)));
    assertThat(client.gets.poll(200, TimeUnit.MILLISECONDS)).as("no look after the cancel").isNull();
  }
}
