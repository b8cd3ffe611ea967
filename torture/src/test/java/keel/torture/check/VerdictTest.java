package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import keel.torture.history.Call;
import keel.torture.history.Event;
import keel.torture.history.Op;
import keel.torture.history.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class VerdictTest {
  @Test
  void outcomesAreExclusiveAndOnlyValidPasses() {
    Verdict ok = Verdict.ok("x", "fine");
    Verdict bad = Verdict.violation("x", "broken", List.of("line"));
    Verdict unknown = Verdict.unknown("x", "gave up", List.of());
    assertThat(List.of(ok.valid(), ok.failed(), ok.inconclusive())).containsExactly(true, false, false);
    assertThat(List.of(bad.valid(), bad.failed(), bad.inconclusive())).containsExactly(false, true, false);
    assertThat(List.of(unknown.valid(), unknown.failed(), unknown.inconclusive()))
        .containsExactly(false, false, true);
  }

  @Test
  void renderShowsHeadlineCountsAndExcerpt() {
    Verdict v = Verdict.violation("linearizability", "key k broke", List.of("#1 a", "#2 b"))
        .withCounts(Map.of("calls", 2L));
    assertThat(v.render()).isEqualTo(
        "linearizability: INVALID: key k broke\n  calls=2\n  #1 a\n  #2 b");
  }

  @Test
  void excerptLinesGiveIndexProcessRelativeMillisTypeOpAndResult() {
    long start = 1_000_000_000L;
    Event invoke = new Event(3, start + 1_234_567, 2, Event.Type.INVOKE, Op.cas("k", null, 9, "m"), null);
    Event ok = new Event(5, start + 2_000_001, 2, Event.Type.OK, invoke.op(), Result.cas(true, 12));
    assertThat(Excerpt.line(invoke, start)).isEqualTo("#3 p2 +1.235ms invoke CAS k absent -> 9 @m");
    assertThat(Excerpt.line(ok, start)).isEqualTo("#5 p2 +2.000ms ok     CAS k absent -> 9 @m swapped (rev 12)");
    Event info = new Event(6, start + 3_000_000, 4, Event.Type.INFO, Op.write("k", 7, null),
        Result.error("deadline exceeded"));
    assertThat(Excerpt.line(info, start)).isEqualTo("#6 p4 +3.000ms info   WRITE k := 7: deadline exceeded");
    Call call = new Call(invoke, ok);
    assertThat(Excerpt.lines(List.of(call), Excerpt.start(List.of(call))))
        .containsExactly("#3 p2 +0.000ms invoke CAS k absent -> 9 @m",
            "#5 p2 +0.765ms ok     CAS k absent -> 9 @m swapped (rev 12)");
    assertThat(Excerpt.call(new Call(invoke, null))).isEqualTo("#3 p2 CAS k absent -> 9 @m (unknown outcome)");
  }
}
