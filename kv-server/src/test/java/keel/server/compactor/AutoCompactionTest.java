package keel.server.compactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AutoCompactionTest {
  @Test
  void aWholeNumberIsHoursInPeriodicModeAndRevisionsInRevisionMode() {
    assertThat(AutoCompaction.parse("periodic", "1")).isEqualTo(new AutoCompaction(AutoCompaction.Mode.PERIODIC, Duration.ofHours(1), 0));
    assertThat(AutoCompaction.parse("revision", "1000")).isEqualTo(new AutoCompaction(AutoCompaction.Mode.REVISION, Duration.ZERO, 1000));
  }

  @Test
  void otherwiseItIsAGoDuration() {
    assertThat(AutoCompaction.parse("periodic", "30m").period()).isEqualTo(Duration.ofMinutes(30));
    assertThat(AutoCompaction.parse("periodic", "1h30m").period()).isEqualTo(Duration.ofMinutes(90));
    assertThat(AutoCompaction.parse("periodic", "1.5s").period()).isEqualTo(Duration.ofMillis(1500));
    assertThat(AutoCompaction.parse("periodic", "500ms").period()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void zeroOrEmptyIsOffAndAnUnknownModeWithAWholeNumberToo() {
    assertThat(AutoCompaction.parse("periodic", "0").enabled()).isFalse();
    assertThat(AutoCompaction.parse("periodic", "").enabled()).isFalse();
    assertThat(AutoCompaction.parse("revision", "0s").enabled()).isFalse();
    assertThat(AutoCompaction.parse("bogus", "5").enabled()).isFalse();
  }

  @Test
  void badValuesAreEtcdsErrors() {
    assertThatThrownBy(() -> AutoCompaction.parse("periodic", "abc"))
        .hasMessage("error parsing CompactionRetention: time: invalid duration \"abc\"");
    assertThatThrownBy(() -> AutoCompaction.parse("periodic", "-1"))
        .hasMessage("error parsing CompactionRetention: time: missing unit in duration \"-1\"");
    assertThatThrownBy(() -> AutoCompaction.parse("periodic", "5x"))
        .hasMessage("error parsing CompactionRetention: time: unknown unit \"x\" in duration \"5x\"");
    assertThatThrownBy(() -> AutoCompaction.parse("bogus", "1h")).hasMessage("unsupported compaction mode bogus");
    assertThatThrownBy(() -> AutoCompaction.parse("periodic", "-1h")).hasMessageContaining("must not be negative");
  }
}
