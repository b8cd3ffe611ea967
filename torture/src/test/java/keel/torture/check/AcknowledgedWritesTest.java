package keel.torture.check;

import static keel.torture.check.WatchCheckerTest.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import keel.torture.history.History;
import keel.torture.history.Op;
import keel.torture.history.Result;
import org.junit.jupiter.api.Test;

class AcknowledgedWritesTest {
  private final AtomicLong clock = new AtomicLong();
  private final History history = new History(clock::incrementAndGet);

  @Test
  void everyAcknowledgedWriteCommittedIsValid() {
    history.invoke(0, Op.write("reg/a", 11, "m1")).ok(Result.written(2));
    history.invoke(1, Op.cas("reg/a", 11L, 12, "m2")).ok(Result.cas(true, 3));
    history.invoke(2, Op.write("reg/a", 13, "m3")).info("timeout");
    history.invoke(0, Op.read("reg/a", "m1")).ok(Result.read(13L, 4, 4));
    CommittedHistory committed = new CommittedHistory(List.of(
        put(2, "reg/a", "11", null), put(3, "reg/a", "12", "11"), put(4, "reg/a", "13", "12")));
    Verdict v = AcknowledgedWrites.check(history.calls(), committed, "reg/");
    assertThat(v.valid()).as(v.render()).isTrue();
  }

  @Test
  void anAcknowledgedWriteMissingFromTheCommittedHistoryIsLost() {
    history.invoke(0, Op.write("reg/a", 11, "m1")).ok(Result.written(2));
    history.invoke(1, Op.write("reg/a", 12, "m2")).ok(Result.written(3));
    CommittedHistory committed = new CommittedHistory(List.of(put(2, "reg/a", "11", null)));
    Verdict v = AcknowledgedWrites.check(history.calls(), committed, "reg/");
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("acknowledged write reg/a := 12").contains("revision 3");
    assertThat(v.excerpt()).hasSize(2);
  }

  @Test
  void aValueNoOperationWroteOrOneThatFailedMustNotAppear() {
    history.invoke(0, Op.write("reg/a", 11, "m1")).fail("etcdserver: request is too large");
    CommittedHistory committed = new CommittedHistory(List.of(put(2, "reg/a", "11", null)));
    assertThat(AcknowledgedWrites.check(history.calls(), committed, "reg/").summary())
        .contains("written by no operation");
  }

  @Test
  void aReadOfAValueThatIsNotCommittedAtItsModRevisionIsReported() {
    history.invoke(0, Op.write("reg/a", 11, "m1")).info("timeout");
    history.invoke(1, Op.read("reg/a", "m2")).ok(Result.read(11L, 5, 5));
    CommittedHistory committed = new CommittedHistory(List.of(put(2, "reg/a", "11", null)));
    Verdict v = AcknowledgedWrites.check(history.calls(), committed, "reg/");
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("mod revision 5");
  }
}
