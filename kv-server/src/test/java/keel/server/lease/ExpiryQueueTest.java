package keel.server.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ExpiryQueueTest {
  private long now = 1_000_000_000_000L;
  private final ExpiryQueue queue = new ExpiryQueue(() -> now);

  private void advanceMillis(long millis) {
    now += TimeUnit.MILLISECONDS.toNanos(millis);
  }

  private static long seconds(long s) {
    return TimeUnit.SECONDS.toNanos(s);
  }

  @Test
  void aFollowerIgnoresOffersAndKnowsNoClocks() {
    queue.offerGranted(7, 10);
    assertThat(queue.isActive()).isFalse();
    assertThat(queue.size()).isZero();
    assertThat(queue.renew(7)).isEmpty();
    advanceMillis(60_000);
    assertThat(queue.expired(10)).isEmpty();
  }

  @Test
  void promotionStartsEveryClockAtNowPlusTtlPlusExtension() {
    queue.promote(() -> Map.of(7L, 10L, 8L, 2L), seconds(1));
    assertThat(queue.remainingNanos(7)).hasValue(seconds(11));
    assertThat(queue.remainingNanos(8)).hasValue(seconds(3));
    advanceMillis(2_999);
    assertThat(queue.expired(10)).isEmpty();
    advanceMillis(1);
    assertThat(queue.expired(10)).containsExactly(8L);
    queue.offerRevoked(8); // its revoke was applied
    advanceMillis(8_000);
    assertThat(queue.expired(10)).containsExactly(7L);
  }

  @Test
  void aGrantOfferedOnTheApplyThreadIsStampedWhenTheLeaderNextLooks() {
    queue.promote(Map::of, 0);
    queue.offerGranted(7, 5);
    advanceMillis(1_000); // the grant is noticed one second after it was applied
    assertThat(queue.remainingNanos(7)).hasValue(seconds(5));
    advanceMillis(4_999);
    assertThat(queue.expired(10)).isEmpty();
    advanceMillis(1);
    assertThat(queue.expired(10)).containsExactly(7L);
  }

  @Test
  void renewRestartsTheClockAndAnswersTheTtl() {
    queue.promote(() -> Map.of(7L, 10L), 0);
    advanceMillis(9_000);
    assertThat(queue.renew(7)).hasValue(10);
    advanceMillis(9_000);
    assertThat(queue.expired(10)).isEmpty();
    assertThat(queue.remainingNanos(7)).hasValue(seconds(1));
    advanceMillis(1_000);
    assertThat(queue.expired(10)).containsExactly(7L);
    assertThat(queue.renew(7)).as("an expired lease waits for its revoke").isEmpty();
    assertThat(queue.renew(99)).isEmpty();
  }

  @Test
  void anExpiredLeaseIsOfferedAgainAfterTheRetryIntervalUntilItsRevokeArrives() {
    queue.promote(() -> Map.of(7L, 2L), 0);
    advanceMillis(2_000);
    assertThat(queue.expired(10)).containsExactly(7L);
    assertThat(queue.expired(10)).isEmpty();
    advanceMillis(500);
    assertThat(queue.remainingNanos(7)).as("past its expiry, whatever the retry").hasValue(-TimeUnit.MILLISECONDS.toNanos(500));
    now += ExpiryQueue.RETRY_NANOS - TimeUnit.MILLISECONDS.toNanos(501);
    assertThat(queue.expired(10)).isEmpty();
    advanceMillis(1);
    assertThat(queue.expired(10)).containsExactly(7L);
    queue.offerRevoked(7);
    now += ExpiryQueue.RETRY_NANOS;
    assertThat(queue.expired(10)).isEmpty();
    assertThat(queue.size()).isZero();
  }

  @Test
  void expiredComesInBoundedBatchesSoonestFirst() {
    queue.promote(() -> Map.of(1L, 5L, 2L, 3L, 3L, 4L, 4L, 2L), 0);
    advanceMillis(10_000);
    assertThat(queue.expired(3)).containsExactly(4L, 2L, 3L);
    assertThat(queue.expired(3)).containsExactly(1L);
  }

  @Test
  void demotionForgetsEveryClockAndANewPromotionStartsAfresh() {
    queue.promote(() -> Map.of(7L, 10L), 0);
    advanceMillis(9_000);
    queue.demote();
    assertThat(queue.size()).isZero();
    queue.offerGranted(8, 10);
    advanceMillis(5_000);
    assertThat(queue.expired(10)).isEmpty();
    queue.promote(() -> Map.of(7L, 10L), seconds(1));
    assertThat(queue.remainingNanos(7)).as("no early expiry after a failover").hasValue(seconds(11));
    assertThat(queue.remainingNanos(8)).isEmpty();
  }
}
