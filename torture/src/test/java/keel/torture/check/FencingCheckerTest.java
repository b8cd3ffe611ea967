package keel.torture.check;

import static keel.torture.check.WatchCheckerTest.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import keel.torture.workload.FencedWrite;
import org.junit.jupiter.api.Test;

class FencingCheckerTest {
  private static final List<FencedWrite> WRITES = List.of(
      new FencedWrite(5, 1, 1, 2, true, 6), new FencedWrite(5, 2, 3, 4, true, 7),
      new FencedWrite(9, 1, 5, 6, true, 10), new FencedWrite(5, 3, 4, 0, false, 0));

  @Test
  void tokensThatNeverGoBackwardsAreValid() {
    CommittedHistory h = new CommittedHistory(List.of(put(6, "fence", "5:1", null), put(7, "fence", "5:2", "5:1"),
        put(10, "fence", "9:1", "5:2")));
    assertThat(FencingChecker.check(WRITES, h, "fence", 2).valid()).isTrue();
  }

  @Test
  void aDeposedLeadersWriteAfterItsSuccessorsIsReported() {
    CommittedHistory h = new CommittedHistory(List.of(put(6, "fence", "5:1", null), put(7, "fence", "5:2", "5:1"),
        put(10, "fence", "9:1", "5:2"), put(11, "fence", "5:3", "9:1")));
    Verdict v = FencingChecker.check(WRITES, h, "fence", 2);
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("token 5 wrote at revision 11 after token 9");
    assertThat(v.excerpt()).anyMatch(line -> line.contains("rev 11"));
  }

  @Test
  void anAppliedWriteMissingOrAValueNobodyWroteIsReported() {
    CommittedHistory missing = new CommittedHistory(List.of(put(6, "fence", "5:1", null), put(10, "fence", "9:1", "5:1")));
    assertThat(FencingChecker.check(WRITES, missing, "fence", 2).summary()).contains("5:2 is not in the committed");
    CommittedHistory stranger = new CommittedHistory(List.of(put(6, "fence", "7:1", null)));
    assertThat(FencingChecker.check(WRITES, stranger, "fence", 2).summary()).contains("no leader wrote");
  }
}
