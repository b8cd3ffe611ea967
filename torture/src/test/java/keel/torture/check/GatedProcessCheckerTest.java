package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import keel.torture.check.GatedProcessChecker.GateRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatedProcessCheckerTest {
  private static final long MS = 1_000_000;

  /** A process on {@code node} that starts at {@code fromMs} and beats every 20 ms until {@code toMs}. */
  private static List<GateRecord> run(String node, long pid, long fromMs, long toMs) {
    List<GateRecord> records = new ArrayList<>();
    records.add(new GateRecord("start", fromMs * MS, node, pid));
    for (long t = fromMs + 20; t <= toMs; t += 20) {
      records.add(new GateRecord("beat", t * MS, node, pid));
    }
    return records;
  }

  private static List<GateRecord> all(List<List<GateRecord>> runs) {
    List<GateRecord> all = new ArrayList<>();
    runs.forEach(all::addAll);
    return all;
  }

  @Test
  void handOversOneAfterTheOtherAreValid() {
    Verdict v = GatedProcessChecker.check(all(List.of(run("m1", 11, 0, 3000), run("m2", 22, 5100, 9000),
        run("m1", 33, 11_000, 12_000))), 0);

    assertThat(v.valid()).as(v.summary()).isTrue();
    assertThat(v.summary()).startsWith("3 runs on 2 nodes, never two at once, one running 66% of the time");
  }

  @Test
  void twoRunningAtOnceIsAViolationNamingBoth() {
    Verdict v = GatedProcessChecker.check(all(List.of(run("m1", 11, 0, 3000), run("m2", 22, 2900, 6000))), 0);

    assertThat(v.outcome()).isEqualTo(Verdict.Outcome.INVALID);
    assertThat(v.summary()).contains("two gated processes ran at once for 100 ms: m1 and m2");
    assertThat(v.excerpt()).containsExactly("m1 pid 11 ran 0.000 .. 3.000 s", "m2 pid 22 ran 2.900 .. 6.000 s");
  }

  @Test
  void oneProcessIsANodeAndAPidNotAPidAlone() {
    Verdict v = GatedProcessChecker.check(all(List.of(run("m1", 11, 0, 3000), run("m2", 11, 2900, 6000))), 0);

    assertThat(v.outcome()).as("the same pid on two nodes is two processes").isEqualTo(Verdict.Outcome.INVALID);
  }

  @Test
  void theStaleHolderWokenFromAFreezeIsCountedWhenItIsGoneAtOnce() {
    List<GateRecord> frozen = run("m1", 11, 0, 3000); // frozen at 3 s, thawed at 8 s, killed 40 ms later
    frozen.addAll(run("m1", 11, 8000, 8040).subList(1, 3));
    Verdict v = GatedProcessChecker.check(all(List.of(frozen, run("m2", 22, 6000, 12_000))), 0);

    assertThat(v.valid()).as(v.summary()).isTrue();
    assertThat(v.summary()).contains("one running 75% of the time")
        .contains("1 woken from a freeze, the last beat of each at most 20 ms after waking");
  }

  @Test
  void aWokenHolderThatLingersIsAViolation() {
    List<GateRecord> frozen = run("m1", 11, 0, 3000);
    frozen.addAll(run("m1", 11, 8000, 9000).subList(1, 51)); // thawed at 8 s and still beating at 9 s
    Verdict v = GatedProcessChecker.check(all(List.of(frozen, run("m2", 22, 6000, 12_000))), 0);

    assertThat(v.outcome()).isEqualTo(Verdict.Outcome.INVALID);
    assertThat(v.excerpt()).anyMatch(l -> l.contains("m1 pid 11 ran 8.020 .. 9.000 s (woken from a freeze)"));
  }

  @Test
  void noGatedProcessAtAllIsNotAPass() {
    assertThat(GatedProcessChecker.check(List.of(), 0).valid()).isFalse();
  }

  @Test
  void processesThatDieAtOnceAreNotAPass() {
    Verdict v = GatedProcessChecker.check(all(List.of(run("m1", 11, 0, 0), run("m1", 12, 1000, 1300))), 0);

    assertThat(v.outcome()).isEqualTo(Verdict.Outcome.INVALID);
    assertThat(v.summary()).contains("no gated process ran for a second (2 runs, the longest 300 ms)");
  }

  @Test
  void readsTheSharedFileAndSkipsALineCutShortByAKill(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("records");
    Files.writeString(file, "start 100 m1 7\nbeat 120 m1 7\nstart 90 m2 8\nbeat 1");

    assertThat(GatedProcessChecker.read(file)).containsExactly(new GateRecord("start", 100, "m1", 7),
        new GateRecord("beat", 120, "m1", 7), new GateRecord("start", 90, "m2", 8));
    assertThat(GatedProcessChecker.read(dir.resolve("absent"))).isEmpty();
  }
}
