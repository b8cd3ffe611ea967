package keel.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AppendStatsTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AppendStats stats = new AppendStats(now::get);

  private void at(long millis) {
    now.set(1_000_000_000L + TimeUnit.MILLISECONDS.toNanos(millis));
  }

  @Test
  void roundTripsGiveEtcdsLatencyFiguresInMilliseconds() {
    stats.onReply("n2", 2_000_000);
    stats.onReply("n2", 6_000_000);
    stats.onReply("n2", 4_000_000);
    stats.onTimeout("n2");

    AppendStats.FollowerStats n2 = stats.follower("n2");
    assertThat(n2.current()).isEqualTo(4.0);
    assertThat(n2.average()).isCloseTo(4.0, within(1e-12));
    // Population standard deviation of 2, 6 and 4: sqrt(8/3).
    assertThat(n2.standardDeviation()).isCloseTo(Math.sqrt(8.0 / 3), within(1e-12));
    assertThat(n2.minimum()).isEqualTo(2.0);
    assertThat(n2.maximum()).isEqualTo(6.0);
    assertThat(n2.success()).isEqualTo(3);
    assertThat(n2.fail()).isEqualTo(1);
  }

  @Test
  void subMillisecondRoundTripsKeepTheirFraction() {
    stats.onReply("n3", 353_000);
    assertThat(stats.follower("n3").current()).isEqualTo(0.353);
  }

  @Test
  void equalRoundTripsHaveNoDeviation() {
    for (int i = 0; i < 10; i++) {
      stats.onReply("n2", 1_100_000);
    }
    assertThat(stats.follower("n2").standardDeviation()).isEqualTo(0.0);
  }

  @Test
  void aFollowerWithoutRepliesShowsEtcdsStartingFigures() {
    stats.onTimeout("n2");
    assertThat(stats.follower("n2")).isEqualTo(new AppendStats.FollowerStats(0, 0, 0, 0x1p63, 0, 1, 0));
    assertThat(stats.follower("never-sent-to")).isEqualTo(new AppendStats.FollowerStats(0, 0, 0, 0x1p63, 0, 0, 0));
  }

  @Test
  void followersAreKeptApart() {
    stats.onReply("n2", 1_000_000);
    stats.onReply("n3", 3_000_000);
    assertThat(stats.follower("n2").maximum()).isEqualTo(1.0);
    assertThat(stats.follower("n3").minimum()).isEqualTo(3.0);
  }

  @Test
  void rateIsMessagesOverTheSpanOfTheRecentOnes() {
    at(0);
    stats.onSent();
    at(10);
    stats.onSent();
    at(20);
    stats.onSent();
    at(40);
    stats.onSent();
    assertThat(stats.sent()).isEqualTo(new AppendStats.Traffic(4, 100.0));
    assertThat(stats.received()).isEqualTo(new AppendStats.Traffic(0, 0));
  }

  @Test
  void rateIsZeroOnceTheNewestMessageIsOverASecondOldButTheCountStays() {
    at(0);
    stats.onReceived();
    at(500);
    stats.onReceived();
    at(1_400);
    assertThat(stats.received().perSecond()).isEqualTo(4.0);
    at(1_501);
    assertThat(stats.received()).isEqualTo(new AppendStats.Traffic(2, 0));
  }

  @Test
  void aPauseOfOverASecondStartsTheRateAfresh() {
    at(0);
    stats.onReceived();
    at(5_000);
    stats.onReceived();
    at(5_100);
    stats.onReceived();
    // Two messages in 100 ms, not three in 5.1 s.
    assertThat(stats.received()).isEqualTo(new AppendStats.Traffic(3, 20.0));
  }

  @Test
  void rateOnlyCoversTheLast200Messages() {
    // 100 messages 10 ms apart, then 200 messages 1 ms apart: only the fast ones are in the window.
    for (int i = 0; i < 100; i++) {
      at(i * 10L);
      stats.onSent();
    }
    for (int i = 0; i < 200; i++) {
      at(1_000 + i);
      stats.onSent();
    }
    assertThat(stats.sent().count()).isEqualTo(300);
    assertThat(stats.sent().perSecond()).isCloseTo(200 / 0.199, within(1e-9));
  }

  @Test
  void oneMessageOrOneInstantHasNoRate() {
    at(0);
    stats.onSent();
    assertThat(stats.sent().perSecond()).isZero();
    stats.onSent();
    assertThat(stats.sent()).isEqualTo(new AppendStats.Traffic(2, 0));
  }
}
