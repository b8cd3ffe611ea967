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
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OwnKeyWatch against a scripted get and watch: gone once, the get decides after a broken watch. */
@Timeout(20)
class OwnKeyWatchTest {
  private final FakeKvWatchClient client = new FakeKvWatchClient();
  private final BlockingQueue<String> gone = new LinkedBlockingQueue<>();
  private final OwnKeyWatch watch =
      OwnKeyWatch.start(client, bytes("/e/1"), 5, 11, new SerialExecutor(EventThreads.shared()), gone::add);

  @AfterEach
  void cancel() {
    watch.cancel();
  }

  private String nextGone() throws InterruptedException {
    String reason = gone.poll(5, TimeUnit.SECONDS);
    assertThat(reason).as("a gone report").isNotNull();
    return reason;
  }

  @Test
  void aDeleteIsReportedOnceAndTheWatchClosed() throws Exception {
    FakeKvWatchClient.Started started = client.nextWatch();
    assertThat(started.key).isEqualTo(bytes("/e/1"));
    assertThat(started.option.getRevision()).isEqualTo(11);
    started.listener.onNext(events(put(proto("/e/1", "v2", 5, 12)))); // a proclaim: still ours
    started.listener.onNext(events(delete("/e/1", 13)));
    assertThat(nextGone()).isEqualTo("it was deleted at revision 13");
    await().atMost(Duration.ofSeconds(2)).until(() -> started.closed);
    started.listener.onNext(events(delete("/e/1", 14)));
    assertThat(gone.poll(200, TimeUnit.MILLISECONDS)).as("reported once").isNull();
  }

  @Test
  void afterABrokenWatchTheGetDecides() throws Exception {
    FakeKvWatchClient.Started first = client.nextWatch();
    first.listener.onError(EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "no leader"));
    FakeKvWatchClient.Get check = client.nextGet();
    assertThat(check.key()).isEqualTo(bytes("/e/1"));
    check.answer().complete(getResponse(15, proto("/e/1", "v", 5, 5)));
    FakeKvWatchClient.Started second = client.nextWatch();
    assertThat(second.option.getRevision()).as("watch again from the get's revision + 1").isEqualTo(16);
    assertThat(gone.poll(200, TimeUnit.MILLISECONDS)).isNull();

    second.listener.onCompleted();
    client.nextGet().answer().complete(getResponse(18, proto("/e/1", "v", 17, 17)));
    assertThat(nextGone()).isEqualTo("it was re-created at revision 17");
  }

  @Test
  void aCancelledWatchReportsNothing() throws Exception {
    FakeKvWatchClient.Started started = client.nextWatch();
    watch.cancel();
    assertThat(started.closed).isTrue();
    started.listener.onNext(events(delete("/e/1", 13)));
    assertThat(gone.poll(200, TimeUnit.MILLISECONDS)).isNull();
  }
}
