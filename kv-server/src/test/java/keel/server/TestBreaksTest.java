package keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TestBreaksTest {

  @Test
  void unsetOrBlankTurnsNothingOn() {
    for (String value : new String[] {null, "", "  ", ",", " , "}) {
      TestBreaks breaks = TestBreaks.parse(value);
      assertThat(breaks).isSameAs(TestBreaks.NONE);
      assertThat(breaks.isEmpty()).isTrue();
      assertThat(breaks.staleReads()).isFalse();
      assertThat(breaks.earlyAck()).isFalse();
      assertThat(breaks.dropWatchEvent()).isFalse();
    }
  }

  @Test
  void theRealPropertyIsUnsetInTheTestJvm() {
    // the default test suite must run real members: nothing may set the property globally
    assertThat(System.getProperty(TestBreaks.PROPERTY)).isNull();
    assertThat(TestBreaks.fromSystemProperty()).isSameAs(TestBreaks.NONE);
  }

  @Test
  void commaSeparatedNamesTurnOnExactlyThoseSwitches() {
    TestBreaks one = TestBreaks.parse("stale-reads");
    assertThat(one.staleReads()).isTrue();
    assertThat(one.earlyAck()).isFalse();
    assertThat(one.dropWatchEvent()).isFalse();

    TestBreaks all = TestBreaks.parse(" early-ack , drop-watch-event,stale-reads ");
    assertThat(all.staleReads()).isTrue();
    assertThat(all.earlyAck()).isTrue();
    assertThat(all.dropWatchEvent()).isTrue();
    assertThat(all).hasToString("TestBreaks[drop-watch-event,early-ack,stale-reads]");
    all.warn("test"); // one WARN line per switch; must not throw
  }

  @Test
  void anUnknownNameIsRefusedNamingItAndTheKnownOnes() {
    assertThatThrownBy(() -> TestBreaks.parse("stale-reads,stale_reads"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keel.test.break=stale-reads,stale_reads: unknown switch 'stale_reads'; the known test-only"
            + " switches are stale-reads, early-ack, drop-watch-event. Remove the -Dkeel.test.break JVM option"
            + " to run a normal member");
    assertThatThrownBy(() -> TestBreaks.parse("STALE-READS")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown switch 'STALE-READS'");
  }
}
