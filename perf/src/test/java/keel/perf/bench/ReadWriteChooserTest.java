package keel.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadWriteChooserTest {
  private static long readsAmong(ReadWriteChooser chooser, long from, long count) {
    return LongStream.range(from, from + count).filter(chooser::isRead).count();
  }

  @Test
  void ninetyPercentIsNineReadsInEveryTen() {
    ReadWriteChooser chooser = new ReadWriteChooser(0.9);

    assertThat(chooser.isRead(0)).isFalse();
    assertThat(LongStream.range(1, 10).allMatch(chooser::isRead)).isTrue();
    for (long from = 0; from < 10_000; from += 10) {
      assertThat(readsAmong(chooser, from, 10)).as("requests %d..%d", from, from + 9).isEqualTo(9);
    }
    assertThat(readsAmong(chooser, 0, 1_000_000)).isEqualTo(900_000);
  }

  @Test
  void otherRatiosAreExactToo() {
    assertThat(readsAmong(new ReadWriteChooser(0.5), 0, 1000)).isEqualTo(500);
    assertThat(LongStream.range(0, 6).mapToObj(new ReadWriteChooser(0.5)::isRead))
        .containsExactly(false, true, false, true, false, true);
    assertThat(readsAmong(new ReadWriteChooser(0.25), 0, 1000)).isEqualTo(250);
    assertThat(readsAmong(new ReadWriteChooser(0.333), 0, 1000)).isEqualTo(333);
  }

  @Test
  void allOrNothing() {
    assertThat(readsAmong(new ReadWriteChooser(1), 0, 1000)).isEqualTo(1000);
    assertThat(readsAmong(new ReadWriteChooser(0), 0, 1000)).isZero();
  }

  @Test
  void aRatioOutsideZeroToOneIsRefused() {
    assertThatThrownBy(() -> new ReadWriteChooser(1.1)).hasMessageContaining("read ratio must be in [0, 1], was 1.1");
    assertThatThrownBy(() -> new ReadWriteChooser(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
  }
}
