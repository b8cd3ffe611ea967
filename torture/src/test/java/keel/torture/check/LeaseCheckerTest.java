package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import keel.torture.workload.LeaseRecord;
import org.junit.jupiter.api.Test;

class LeaseCheckerTest {
  private static final long S = 1_000_000_000L;
  private static final Duration ALLOWANCE = Duration.ofSeconds(4);
  // TTL 3 s; last refresh sent at 10 s, answered at 10.1 s: alive until 13 s at least, gone by 17.1 s.
  private static final LeaseRecord LEASE = new LeaseRecord(1, "lease/1", 3, true, 10 * S, 10 * S + S / 10, 0, 0);

  @Test
  void aDeletionBetweenTheEarliestAndLatestAllowedTimesIsValid() {
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 14 * S), List.of(), List.of(), Duration.ZERO, ALLOWANCE, 30 * S).valid()).isTrue();
  }

  @Test
  void aDeletionSeenBeforeTheLastRefreshPlusTtlIsEarly() {
    Verdict v = LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 12 * S), List.of(), List.of(), Duration.ZERO, ALLOWANCE, 30 * S);
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("expired early").contains("1000 ms");
  }

  @Test
  void aKeepAliveAnsweringNotFoundBeforeTheDeadlineIsEarly() {
    LeaseRecord lost = new LeaseRecord(1, "lease/1", 3, true, 10 * S, 10 * S, 11 * S, 0);
    assertThat(LeaseChecker.check(List.of(lost), Map.of("lease/1", 14 * S), List.of(), List.of(), Duration.ZERO, ALLOWANCE, 30 * S).summary())
        .contains("'not found'");
  }

  @Test
  void aKeyThatOutlivesTheAllowanceOrNeverGoesIsReported() {
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 18 * S), List.of(), List.of(), Duration.ZERO, ALLOWANCE, 30 * S).summary())
        .contains("outlived");
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of(), List.of(), List.of(), Duration.ZERO, ALLOWANCE, 30 * S).summary()).contains("never expired");
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of(), List.of(), List.of(), Duration.ZERO, ALLOWANCE, 15 * S).valid())
        .as("not judged before its deadline").isTrue();
  }

  @Test
  void aLeaderChangeBeforeTheDeadlineRestartsTheTtl() {
    // deadline 13.1 s; a new leader at 12 s restarts it: 15 s, then another at 14 s: 17 s (+4 s allowance)
    List<Long> changes = List.of(5 * S, 12 * S, 14 * S, 40 * S);
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 20 * S), changes, List.of(), Duration.ZERO, ALLOWANCE, 40 * S).valid())
        .isTrue();
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 22 * S), changes, List.of(), Duration.ZERO, ALLOWANCE, 40 * S).summary())
        .contains("outlived its deadline by 5000 ms");
  }

  @Test
  void theFirstLeaderChangeWithinAFaultInPlaceAtTheDeadlineRestartsTheTtl() {
    // deadline 13.1 s falls in a fault [12 s, 40 s]; its new leader is seen only at 25 s: deadline 28 s
    List<Long> changes = List.of(25 * S);
    List<long[]> faults = List.<long[]>of(new long[] {12 * S, 40 * S});
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 30 * S), changes, faults, Duration.ZERO, ALLOWANCE, 50 * S)
        .valid()).isTrue();
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 30 * S), changes, List.of(), Duration.ZERO, ALLOWANCE, 50 * S)
        .failed()).as("the same change without a fault in place").isTrue();
  }

  @Test
  void anUnansweredKeepAliveMayRefreshTheLeaseUntilItsFaultIsOver() {
    // a keep-alive sent at 11 s into a fault that lasted until 20 s: it may land then, deadline 23 s
    LeaseRecord late = new LeaseRecord(1, "lease/1", 3, true, 10 * S, 10 * S + S / 10, 0, 11 * S);
    List<long[]> faults = List.<long[]>of(new long[] {9 * S, 20 * S});
    assertThat(LeaseChecker.check(List.of(late), Map.of("lease/1", 24 * S), List.of(), faults, Duration.ZERO, ALLOWANCE, 50 * S)
        .valid()).isTrue();
    assertThat(LeaseChecker.check(List.of(late), Map.of("lease/1", 24 * S), List.of(), List.of(), Duration.ZERO, ALLOWANCE, 50 * S)
        .summary()).as("without a fault it lands within a second: deadline 15 s").contains("outlived");
  }

  @Test
  void aNewLeaderAddsItsExtensionToTheDeadline() {
    // a leader change at 12 s with a 1 s extension: deadline 16 s, gone by 20 s
    List<Long> changes = List.of(12 * S);
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 19 * S + S / 2), changes, List.of(),
        Duration.ofSeconds(1), ALLOWANCE, 50 * S).valid()).isTrue();
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 19 * S + S / 2), changes, List.of(),
        Duration.ZERO, ALLOWANCE, 50 * S).failed()).isTrue();
  }

  @Test
  void aFaultBeginningWhileTheRevokeWasInFlightCountsToo() {
    // deadline 13.1 s; the leader froze at 13.4 s with the revoke uncommitted; the next leader was
    // seen at 17.5 s (after the 4 s allowance's 17.1 s) and expired it at 21 s: deadline 20.5 + 1 s
    List<Long> changes = List.of(17 * S + S / 2);
    List<long[]> faults = List.<long[]>of(new long[] {13 * S + 4 * S / 10, 25 * S});
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 21 * S), changes, faults,
        Duration.ofSeconds(1), Duration.ofSeconds(4), 50 * S).valid()).isTrue();
    List<long[]> later = List.<long[]>of(new long[] {17 * S + S / 5, 25 * S}); // began after the allowance
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 22 * S), List.of(18 * S), later,
        Duration.ofSeconds(1), Duration.ofSeconds(4), 50 * S).failed()).isTrue();
  }

  @Test
  void aLeaderFrozenAtTheDeadlineWithNoSuccessorExpiresItOnceTheFaultIsOver() {
    // deadline 13.1 s; the leader froze at 13 s until the cluster converged at 16 s, no new leader:
    // gone by 16 + 4 s
    List<long[]> faults = List.<long[]>of(new long[] {13 * S, 16 * S});
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 19 * S), List.of(), faults,
        Duration.ofSeconds(1), Duration.ofSeconds(4), 50 * S).valid()).isTrue();
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 21 * S), List.of(), faults,
        Duration.ofSeconds(1), Duration.ofSeconds(4), 50 * S).failed()).isTrue();
  }
}
