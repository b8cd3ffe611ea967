package keel.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine.TypeConversionException;

/** The small pure parts of a run: keys, run length, pacing, durations, error messages. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadPartsTest {
  private static String text(ByteSequence bytes) {
    return bytes.toString(StandardCharsets.US_ASCII);
  }

  @Test
  void keysAreZeroPaddedNumbersInOrder() {
    Keys keys = new Keys(8, 3, 100, true);

    assertThat(text(keys.key(0))).isEqualTo("00000000");
    assertThat(text(keys.key(42))).isEqualTo("00000042");
    assertThat(Keys.indexOf(keys.key(42))).isEqualTo(42);
    assertThat(text(keys.value())).isEqualTo("vvv");
    assertThat(keys.indexFor(250)).isEqualTo(50);
    assertThat(text(keys.rangeEndAfter(99))).isEqualTo("00000099\0");
    assertThat(keys.rangeEndAfter(99).toString(StandardCharsets.US_ASCII)).isGreaterThan("00000099");
  }

  @Test
  void randomKeysStayInTheSpace() {
    Keys keys = new Keys(2, 0, 7, false);

    for (long n = 0; n < 1000; n++) {
      assertThat(keys.indexFor(n)).isBetween(0L, 6L);
    }
    assertThatThrownBy(() -> new Keys(2, 0, 101, false)).hasMessageContaining("key space size must be 1..100");
  }

  @Test
  void aRunIsATotalOrADuration() {
    assertThat(RunLength.ofTotal(3).allows(2, Long.MAX_VALUE)).isTrue();
    assertThat(RunLength.ofTotal(3).allows(3, 0)).isFalse();
    RunLength timed = RunLength.ofDuration(Duration.ofSeconds(1));
    assertThat(timed.allows(1_000_000, 999_999_999)).isTrue();
    assertThat(timed.allows(0, 1_000_000_000)).isFalse();
    assertThat(RunLength.ofTotal(2000).describe("puts")).isEqualTo("2000 puts");
    assertThat(timed.describe("puts")).isEqualTo("1s");
  }

  @Test
  void thePacerSpacesRequestsByTheRate() {
    Pacer hundredPerSecond = new Pacer(100);

    assertThat(hundredPerSecond.delayNanos(0, 0)).isZero();
    assertThat(hundredPerSecond.delayNanos(5, 0)).isEqualTo(50_000_000L);
    assertThat(hundredPerSecond.delayNanos(5, 20_000_000L)).isEqualTo(30_000_000L);
    assertThat(hundredPerSecond.delayNanos(5, 90_000_000L)).isZero(); // late: no catching up by bursts beyond now
    assertThat(new Pacer(0).delayNanos(1_000_000, 0)).isZero();
  }

  @Test
  void durationsAreWrittenAsEtcdsFlags() {
    assertThat(BenchDurations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(BenchDurations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(BenchDurations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(BenchDurations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(BenchDurations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> BenchDurations.parse("30")).isInstanceOf(TypeConversionException.class)
        .hasMessage("time: missing unit in duration \"30\": use e.g. 500ms, 30s, 2m or 1m30s");
    assertThatThrownBy(() -> BenchDurations.parse("")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> BenchDurations.parse("0")).isInstanceOf(TypeConversionException.class)
        .hasMessage("duration \"0\" must be above zero");
    assertThat(BenchDurations.format(Duration.ofMillis(1500))).isEqualTo("1.500s");
    assertThat(BenchDurations.format(Duration.ofMillis(250))).isEqualTo("250ms");
  }

  @Test
  void errorsAreCountedByTheirOwnMessage() {
    assertThat(Stats.describe(new CompletionException(new IllegalStateException(" etcdserver: too many requests "))))
        .isEqualTo("etcdserver: too many requests");
    assertThat(Stats.describe(new CompletionException(new TimeoutException()))).isEqualTo("no answer within 30s");
    assertThat(Stats.describe(new IllegalStateException())).isEqualTo("IllegalStateException");

    Stats stats = new Stats();
    stats.error(new IllegalStateException("a"));
    stats.error(new CompletionException(new IllegalStateException("a")));
    stats.error("b");
    stats.record("put", 1_500_000);
    Stats.Snapshot snapshot = stats.snapshot();
    assertThat(snapshot.errors()).containsEntry("a", 2L).containsEntry("b", 1L);
    assertThat(snapshot.errorCount()).isEqualTo(3);
    assertThat(snapshot.all().getTotalCount()).isEqualTo(1);
    assertThat(snapshot.sinceLast()).isEqualTo(1);
    assertThat(stats.snapshot().sinceLast()).isZero();
    assertThat(stats.snapshot().byOperation().get("put").getMaxValue()).isBetween(1499L, 1501L);
  }
}
