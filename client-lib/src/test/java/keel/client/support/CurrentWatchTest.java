package keel.client.support;

import static keel.client.support.Kvs.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CurrentWatch: one watch at a time, none after close. */
@Timeout(10)
class CurrentWatchTest {
  private final FakeKvWatchClient client = new FakeKvWatchClient();
  private final CurrentWatch current = new CurrentWatch(client.getWatchClient());
  private final Watch.Listener ignore = Watch.listener(response -> {});

  private FakeKvWatchClient.Started start() throws InterruptedException {
    current.start(bytes("/k"), WatchOption.DEFAULT, ignore);
    return client.nextWatch();
  }

  @Test
  void aNewWatchReplacesTheCurrentOne() throws Exception {
    FakeKvWatchClient.Started first = start();
    FakeKvWatchClient.Started second = start();
    assertThat(first.closed).isTrue();
    assertThat(second.closed).isFalse();
    current.closeCurrent();
    assertThat(second.closed).isTrue();
    assertThat(start().closed).as("closeCurrent leaves the owner watching").isFalse();
  }

  @Test
  void closeClosesTheCurrentWatchAndEveryLaterOne() throws Exception {
    FakeKvWatchClient.Started before = start();
    current.close();
    assertThat(before.closed).isTrue();
    assertThat(start().closed).as("a start racing the close").isTrue();
  }
}
