package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.torture.history.Call;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegisterLinearizabilityTest {
  private final RegisterLinearizability checker = new RegisterLinearizability();

  private Verdict check(TestHistory h) {
    return checker.check(h.calls());
  }

  @Test
  void sequentialWritesAndReadsAreLinearizable() {
    Verdict v = check(new TestHistory()
        .read(1, 0, 1, "k", null)
        .write(1, 2, 3, "k", 1)
        .read(2, 4, 5, "k", 1L)
        .cas(1, 6, 7, "k", 1L, 2, true)
        .cas(2, 8, 9, "k", 1L, 3, false)
        .read(3, 10, 11, "k", 2L));
    assertThat(v.valid()).as(v.render()).isTrue();
    assertThat(v.summary()).isEqualTo("1 keys, 6 calls linearizable");
    assertThat(v.counts()).containsEntry("keys", 1L).containsEntry("calls", 6L);
  }

  @Test
  void staleReadAfterACompletedWriteIsAViolation() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .write(1, 2, 3, "k", 2)
        .read(2, 4, 5, "k", 1L));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("key k: #4..#5 p2 READ k @127.0.0.1:2379 -> 1 (rev 0, mod 0) is stale: "
        + "#2..#3 p1 WRITE k := 2 @127.0.0.1:2379 (rev 0) overwrote 1 and returned before the read began");
    assertThat(v.excerpt()).containsExactly(
        v.summary().substring(v.summary().indexOf("key k:")) + ":",
        "  #0 p1 +0.000ms invoke WRITE k := 1 @127.0.0.1:2379",
        "  #1 p1 +1.000ms ok     WRITE k := 1 @127.0.0.1:2379 (rev 0)",
        "  #2 p1 +2.000ms invoke WRITE k := 2 @127.0.0.1:2379",
        "  #3 p1 +3.000ms ok     WRITE k := 2 @127.0.0.1:2379 (rev 0)",
        "  #4 p2 +4.000ms invoke READ k @127.0.0.1:2379",
        "  #5 p2 +5.000ms ok     READ k @127.0.0.1:2379 -> 1 (rev 0, mod 0)");
  }

  @Test
  void readingAbsenceAfterACompletedWriteIsAViolation() {
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .read(2, 2, 3, "k", null)).failed()).isTrue();
  }

  @Test
  void readsDuringTwoConcurrentWritesMaySeeEitherOrder() {
    for (long[] seen : new long[][] {{1, 2}, {2, 1}}) {
      Verdict v = check(new TestHistory()
          .write(1, 0, 10, "k", 1)
          .write(2, 0, 10, "k", 2)
          .read(3, 1, 2, "k", seen[0])
          .read(3, 3, 4, "k", seen[1]));
      assertThat(v.valid()).as(v.render()).isTrue();
    }
  }

  @Test
  void readsAfterTwoConcurrentWritesMustAgreeOnTheLastOne() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 10, "k", 1)
        .write(2, 0, 10, "k", 2)
        .read(3, 11, 12, "k", 2L)
        .read(4, 13, 14, "k", 1L));
    // Real time alone does not convict either read here: the search does.
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("#6..#7 p4 READ k @127.0.0.1:2379 -> 1", "cannot be linearized after 3 of 4 calls (register 2)");
    assertThat(v.excerpt()).containsSequence(
        "key k: longest linearizable prefix: 3 of 4 calls; its last 3, with the register after each:",
        "  #0..#2 p1 WRITE k := 1 @127.0.0.1:2379 (rev 0)  => 1",
        "  #1..#3 p2 WRITE k := 2 @127.0.0.1:2379 (rev 0)  => 2",
        "  #4..#5 p3 READ k @127.0.0.1:2379 -> 2 (rev 0, mod 0)  => 2");
    assertThat(v.excerpt()).contains(
        "key k: #6..#7 p4 READ k @127.0.0.1:2379 -> 1 (rev 0, mod 0) cannot be linearized on register 2; "
            + "it and the calls concurrent with it:",
        "  #6 p4 +13.000ms invoke READ k @127.0.0.1:2379");
  }

  @Test
  void aReadMaySeeTheOldOrNewValueOfAnOverlappingWriteButNotTheOldAfterTheNew() {
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .write(1, 2, 10, "k", 2)
        .read(2, 3, 4, "k", 1L)
        .read(2, 5, 6, "k", 2L)).valid()).isTrue();
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .write(1, 2, 10, "k", 2)
        .read(2, 3, 4, "k", 2L)
        .read(2, 5, 6, "k", 1L)).failed()).isTrue();
    // Two overlapping reads may disagree in either order while the write is open.
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .write(1, 2, 10, "k", 2)
        .read(2, 3, 6, "k", 2L)
        .read(3, 4, 5, "k", 1L)).valid()).isTrue();
  }

  @Test
  void readingAValueWhoseWriteStartedAfterTheReadCompletedIsAViolation() {
    Verdict v = check(new TestHistory()
        .read(1, 0, 1, "k", 7L)
        .write(2, 2, 3, "k", 7));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("read the value of a write invoked after it returned: #2..#3 p2 WRITE k := 7");
  }

  @Test
  void aCasThatSwappedOnAWrongExpectedValueIsAViolation() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .cas(2, 2, 3, "k", 5L, 6, true));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("CAS k 5 -> 6", "swapped", "register 1");
  }

  @Test
  void aCasThatDidNotSwapWhenTheValueWasTheExpectedOneIsAViolation() {
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .cas(2, 2, 3, "k", 1L, 6, false)).failed()).isTrue();
    assertThat(check(new TestHistory()
        .cas(2, 2, 3, "k", null, 6, false)).failed()).isTrue();
    assertThat(check(new TestHistory()
        .cas(2, 2, 3, "k", null, 6, true)
        .read(1, 4, 5, "k", 6L)).valid()).isTrue();
  }

  @Test
  void anUnknownWriteMayTakeEffectLongAfterItTimedOut() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .writeInfo(2, 2, 3, "k", 2)
        .read(3, 4, 5, "k", 1L)
        .read(3, 100, 101, "k", 2L));
    assertThat(v.valid()).as(v.render()).isTrue();
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .writeOpen(2, 2, "k", 2)
        .read(3, 100, 101, "k", 2L)).valid()).isTrue();
  }

  @Test
  void anUnknownWriteMayNeverTakeEffect() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .writeInfo(2, 2, 3, "k", 2)
        .writeOpen(4, 3, "k", 3)
        .read(3, 4, 5, "k", 1L)
        .read(3, 100, 101, "k", 1L));
    assertThat(v.valid()).as(v.render()).isTrue();
    assertThat(v.counts()).containsEntry("unobservedUnknownWritesDropped", 2L);
  }

  @Test
  void anUnknownWriteTakesEffectOnlyOnce() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .writeInfo(2, 2, 3, "k", 2)
        .read(3, 4, 5, "k", 2L)
        .read(3, 6, 7, "k", 1L));
    assertThat(v.failed()).as(v.render()).isTrue();
  }

  @Test
  void anUnknownWriteCannotTakeEffectBeforeItWasInvoked() {
    assertThat(check(new TestHistory()
        .read(3, 0, 1, "k", 2L)
        .writeInfo(2, 2, 3, "k", 2)).failed()).isTrue();
  }

  @Test
  void anUnknownWriteThatNobodyReadCanStillExplainAFailedCompare() {
    // Without the unknown write of 2 the register holds 1 and the CAS had to swap.
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .writeInfo(2, 2, 3, "k", 2)
        .cas(3, 4, 5, "k", 1L, 9, false));
    assertThat(v.valid()).as(v.render()).isTrue();
    // ...but not one invoked after the CAS returned.
    Verdict late = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .cas(3, 4, 5, "k", 1L, 9, false)
        .writeInfo(2, 6, 7, "k", 2));
    assertThat(late.failed()).as(late.render()).isTrue();
    assertThat(String.join("\n", late.excerpt())).contains("CAS k 1 -> 9");
  }

  @Test
  void manyPendingUnseenWritesDoNotBlowUpTheSearch() {
    // 40 unknown writes nobody read, all pending through a stream of failed compares and reads.
    TestHistory h = new TestHistory().write(1, 0, 1, "k", 1);
    for (int i = 0; i < 40; i++) {
      h.writeInfo(100 + i, 2 + i, 3 + i, "k", 1000 + i);
    }
    long t = 100;
    for (int i = 0; i < 200; i++, t += 4) {
      h.cas(2, t, t + 1, "k", 1L, 5000 + i, false);
      h.cas(3, t + 2, t + 3, "k", 1L, 9000 + i, false);
    }
    Verdict v = new RegisterLinearizability(100_000).check(h.calls());
    assertThat(v.valid()).as(v.render()).isTrue();
  }

  @Test
  void failedCallsNeverHappened() {
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .writeFail(2, 2, 3, "k", 2)
        .read(3, 4, 5, "k", 2L)).failed()).isTrue();
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .writeFail(2, 2, 3, "k", 2)
        .read(3, 4, 5, "k", 1L));
    assertThat(v.valid()).isTrue();
    assertThat(v.counts()).containsEntry("failedDropped", 1L);
  }

  @Test
  void unknownReadsAndSerializableReadsAreNotPartOfTheSearch() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .readInfo(2, 2, 3, "k")
        .serialRead(3, 2, 3, "k", TestHistory.M2, null, 0, 0)
        .read(2, 4, 5, "k", 1L));
    assertThat(v.valid()).as(v.render()).isTrue();
    assertThat(v.counts()).containsEntry("calls", 2L).containsEntry("unknownReadsDropped", 1L);
  }

  @Test
  void keysAreCheckedSeparatelyAndTheViolatedOneIsNamed() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "a", 1)
        .write(2, 0, 1, "b", 2)
        .read(1, 2, 3, "a", 1L)
        .read(2, 2, 3, "b", null)
        .write(3, 0, 1, "c", 3)
        .read(3, 2, 3, "c", 3L));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).startsWith("1 of 3 keys not linearizable [b]; first: key b:");
    assertThat(v.excerpt()).allMatch(line -> !line.contains(" a ") && !line.contains(" c "));
    assertThat(v.counts()).containsEntry("keys", 3L).containsEntry("violatedKeys", 1L);
  }

  @Test
  void theReadOfAWriteOnAnotherKeyIsNotThatWrite() {
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "a", 1)
        .read(2, 2, 3, "b", 1L)).failed()).isTrue();
  }

  @Test
  void aSearchOverItsBudgetIsUnknownNotValidNorViolated() {
    TestHistory h = new TestHistory();
    for (int i = 0; i < 5; i++) {
      h.write(i, 0, 10, "k", i);
    }
    h.read(9, 11, 12, "k", 0L);
    Verdict v = new RegisterLinearizability(3).check(h.calls());
    assertThat(v.inconclusive()).as(v.render()).isTrue();
    assertThat(v.valid()).isFalse();
    assertThat(v.failed()).isFalse();
    assertThat(v.summary()).startsWith("unknown: search budget exceeded for key k (3 steps per key)");
  }

  @Test
  void anEmptyHistoryIsValid() {
    assertThat(checker.check(List.<Call>of()).valid()).isTrue();
  }
}
