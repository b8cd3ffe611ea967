package keel.torture.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import keel.torture.workload.LeaseRecord;

/**
 * Leases keep their promise both ways. Not early: a lease whose keep-alive sent at {@code s} was
 * answered alive lives until at least {@code s + TTL}, so its key's deletion must not be seen
 * before that, and no keep-alive may answer "not found" before it. Not too late: once its last
 * refresh was answered at {@code a}, the key must be gone by {@code a + TTL + allowance}, where the
 * allowance is what a failover may add (the new leader restarts every lease's TTL, as etcd's
 * does) plus delivery.
 */
public final class LeaseChecker {
  private static final String NAME = "leases";

  private LeaseChecker() {}

  /**
   * @param deletionSeen per lease key, when a watcher first saw its deletion (nanoTime)
   * @param allowance how much longer than its TTL a lease may outlive its last refresh
   * @param endNanos when observation ended; leases whose latest deadline is after it are not judged late
   */
  public static Verdict check(List<LeaseRecord> leases, Map<String, Long> deletionSeen, Duration allowance,
      long endNanos) {
    int judged = 0;
    long worstOverrun = Long.MIN_VALUE;
    long tightestMargin = Long.MAX_VALUE;
    for (LeaseRecord l : leases) {
      if (!l.keyWritten()) {
        continue;
      }
      long ttl = Duration.ofSeconds(l.ttlSeconds()).toNanos();
      long earliest = l.lastRefreshSentNanos() + ttl;
      long latest = l.lastRefreshAnsweredNanos() + ttl + allowance.toNanos();
      if (l.lostNanos() != 0 && l.lostNanos() < earliest) {
        return Verdict.violation(NAME, "lease " + l.key() + " answered 'not found' " + ms(earliest - l.lostNanos())
            + " before its last refresh + TTL", List.of("    " + l));
      }
      Long seen = deletionSeen.get(l.key());
      if (seen != null && seen < earliest) {
        return Verdict.violation(NAME, "lease " + l.key() + " expired early: its key's deletion was seen "
            + ms(earliest - seen) + " before its last refresh + TTL", List.of("    " + l, "    deletion seen at " + seen));
      }
      if (latest > endNanos) {
        continue;
      }
      judged++;
      if (seen == null) {
        return Verdict.violation(NAME, "lease " + l.key() + " never expired: its key was still there at the end, "
            + ms(endNanos - latest) + " past its deadline", List.of("    " + l));
      }
      long overrun = seen - (l.lastRefreshAnsweredNanos() + ttl);
      worstOverrun = Math.max(worstOverrun, overrun);
      tightestMargin = Math.min(tightestMargin, seen - earliest);
      if (seen > latest) {
        return Verdict.violation(NAME, "lease " + l.key() + " outlived its TTL by " + ms(overrun) + " (allowed "
            + ms(allowance.toNanos()) + ")", List.of("    " + l, "    deletion seen at " + seen));
      }
    }
    return Verdict.ok(NAME, judged + " leases expired in time: none early (closest " + ms(tightestMargin)
        + " after its earliest allowed time), the latest " + ms(worstOverrun) + " after last refresh + TTL (allowed "
        + ms(allowance.toNanos()) + ")");
  }

  static String ms(long nanos) {
    if (nanos == Long.MAX_VALUE || nanos == Long.MIN_VALUE) {
      return "n/a";
    }
    return String.format("%.0f ms", nanos / 1e6);
  }
}
