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
  private static final LeaseRecord LEASE = new LeaseRecord(1, "lease/1", 3, true, 10 * S, 10 * S + S / 10, 0);

  @Test
  void aDeletionBetweenTheEarliestAndLatestAllowedTimesIsValid() {
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 14 * S), ALLOWANCE, 30 * S).valid()).isTrue();
  }

  @Test
  void aDeletionSeenBeforeTheLastRefreshPlusTtlIsEarly() {
    Verdict v = LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 12 * S), ALLOWANCE, 30 * S);
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("expired early").contains("1000 ms");
  }

  @Test
  void aKeepAliveAnsweringNotFoundBeforeTheDeadlineIsEarly() {
    LeaseRecord lost = new LeaseRecord(1, "lease/1", 3, true, 10 * S, 10 * S, 11 * S);
    assertThat(LeaseChecker.check(List.of(lost), Map.of("lease/1", 14 * S), ALLOWANCE, 30 * S).summary())
        .contains("'not found'");
  }

  @Test
  void aKeyThatOutlivesTheAllowanceOrNeverGoesIsReported() {
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of("lease/1", 18 * S), ALLOWANCE, 30 * S).summary())
        .contains("outlived");
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of(), ALLOWANCE, 30 * S).summary()).contains("never expired");
    assertThat(LeaseChecker.check(List.of(LEASE), Map.of(), ALLOWANCE, 15 * S).valid())
        .as("not judged before its deadline").isTrue();
  }
}
