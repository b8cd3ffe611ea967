package keel.torture.check;

import static keel.torture.check.TestHistory.M1;
import static keel.torture.check.TestHistory.M2;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SerialReadsTest {
  private final SerialReads checker = new SerialReads();

  private Verdict check(TestHistory h) {
    return checker.check(h.calls());
  }

  @Test
  void staleButCommittedAndMonotonicReadsAreValid() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1, 5)
        .write(1, 2, 3, "k", 2, 6)
        // Stale on M2 (still at 5) after the second write: allowed for serializable reads.
        .serialRead(2, 4, 5, "k", M2, 1L, 5, 5)
        .serialRead(2, 6, 7, "k", M2, 2L, 6, 6)
        .serialRead(3, 8, 9, "k", M1, 2L, 7, 6)
        .serialRead(3, 10, 11, "x", M1, null, 7, 0));
    assertThat(v.valid()).as(v.render()).isTrue();
    assertThat(v.counts()).containsEntry("reads", 4L).containsEntry("violations", 0L);
  }

  @Test
  void aValueNoWriteTriedIsAViolation() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1, 5)
        .serialRead(2, 2, 3, "k", M1, 9L, 6, 6));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("read 9 that no write of k tried to write");
    assertThat(v.excerpt()).anyMatch(l -> l.contains("ok     SERIAL_READ k @127.0.0.1:2379 -> 9 (rev 6, mod 6)"));
  }

  @Test
  void aValueWrittenToAnotherKeyIsAViolation() {
    assertThat(check(new TestHistory()
        .write(1, 0, 1, "a", 1, 5)
        .serialRead(2, 2, 3, "b", M1, 1L, 5, 5)).failed()).isTrue();
  }

  @Test
  void aValueWhoseOnlyWriteFailedIsAViolation() {
    Verdict v = check(new TestHistory()
        .writeFail(1, 0, 1, "k", 1)
        .serialRead(2, 2, 3, "k", M1, 1L, 5, 5));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("whose only write did not take effect");
    assertThat(check(new TestHistory()
        .cas(1, 0, 1, "k", 7L, 1, false, 4)
        .serialRead(2, 2, 3, "k", M1, 1L, 5, 5)).failed()).isTrue();
  }

  @Test
  void aValueOfAnUnknownWriteMayBeRead() {
    Verdict v = check(new TestHistory()
        .writeInfo(1, 0, 1, "k", 1)
        .serialRead(2, 50, 51, "k", M1, 1L, 5, 5));
    assertThat(v.valid()).as(v.render()).isTrue();
  }

  @Test
  void aValueReadBeforeItsWriteWasInvokedIsAViolation() {
    Verdict v = check(new TestHistory()
        .serialRead(2, 0, 1, "k", M1, 1L, 5, 5)
        .write(1, 2, 3, "k", 1, 5));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("read 1 before its write was invoked");
  }

  @Test
  void aRevisionGoingBackwardsOnOneMemberForOneProcessIsAViolation() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1, 5)
        .write(1, 2, 3, "k", 2, 6)
        .serialRead(2, 4, 5, "k", M1, 2L, 6, 6)
        .serialRead(2, 6, 7, "k", M1, 1L, 5, 5));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("revision went backwards on " + M1 + " for p2: 6 then 5");
    assertThat(v.excerpt()).anyMatch(l -> l.contains("-> 2 (rev 6, mod 6)"))
        .anyMatch(l -> l.contains("-> 1 (rev 5, mod 5)"));
  }

  @Test
  void differentMembersOrProcessesMayBeAtDifferentRevisions() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1, 5)
        .write(1, 2, 3, "k", 2, 6)
        .serialRead(2, 4, 5, "k", M1, 2L, 6, 6)
        .serialRead(2, 6, 7, "k", M2, 1L, 5, 5)
        .serialRead(3, 8, 9, "k", M1, 1L, 5, 5));
    assertThat(v.valid()).as(v.render()).isTrue();
  }

  @Test
  void aModRevisionAboveTheRevisionIsAViolation() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1, 5)
        .serialRead(2, 2, 3, "k", M1, 1L, 4, 5));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("mod revision 5 above the response revision 4");
  }

  @Test
  void aValueThatDisagreesWithTheWriteAcknowledgedAtItsModRevisionIsAViolation() {
    Verdict v = check(new TestHistory()
        .write(1, 0, 1, "k", 1, 5)
        .writeInfo(3, 0, 1, "k", 2)
        .serialRead(2, 2, 3, "k", M1, 2L, 5, 5));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("read 2 at mod revision 5, where the acknowledged write was 1");
    Verdict own = check(new TestHistory()
        .write(1, 0, 1, "k", 1, 5)
        .serialRead(2, 2, 3, "k", M1, 1L, 7, 7));
    assertThat(own.failed()).as(own.render()).isTrue();
    assertThat(own.summary()).contains("its write was acknowledged at revision 5");
  }

  @Test
  void twoReadsAtOneModRevisionMustAgree() {
    Verdict v = check(new TestHistory()
        .writeInfo(1, 0, 1, "k", 1)
        .writeInfo(3, 0, 1, "k", 2)
        .serialRead(2, 2, 3, "k", M1, 1L, 5, 5)
        .serialRead(4, 2, 3, "k", M2, 2L, 5, 5));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("two reads of k at mod revision 5 saw 1 and 2");
  }

  @Test
  void linearizableReadsAreNotItsBusiness() {
    Verdict v = check(new TestHistory()
        .read(2, 0, 1, "k", 9L));
    assertThat(v.valid()).isTrue();
    assertThat(v.counts()).containsEntry("reads", 0L);
  }
}
