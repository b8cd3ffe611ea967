package keel.torture.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import keel.torture.workload.LeaseRecord;

/**
 * Leases keep their promise both ways. Not early: a lease whose keep-alive sent at {@code s} was
 * answered alive lives until at least {@code s + TTL}, so its key's deletion must not be seen
 * before that, and no keep-alive may answer "not found" before it. Not too late: once its last
 * refresh was answered at {@code a}, its deadline is {@code a + TTL}. A new leader restarts every
 * lease's TTL and adds one election timeout (as etcd's does), so a leader change seen before the
 * deadline (plus the allowance) moves it to that change plus the TTL plus the extension; so does
 * a leader change within a fault that was in place at the deadline or began within the allowance
 * after it (the leader may have been dead or frozen with the revoke uncommitted, and nobody could
 * expire the lease until the next one took office). The key must be gone by the deadline plus the allowance
 * (one election timeout for a change to be noticed here, plus the revoke's commit and delivery),
 * or, when a fault was in place at the deadline and no new leader took over, by the time that
 * fault was over and the cluster had converged, plus the allowance.
 * A keep-alive that got no answer may still refresh the lease when it arrives: if it was sent
 * during a fault, up to when that fault was over, otherwise within the client's timeout.
 */
public final class LeaseChecker {
  private static final String NAME = "leases";

  private LeaseChecker() {}

  /**
   * @param deletionSeen per lease key, when a watcher first saw its deletion (nanoTime)
   * @param leaderChanges when a new leader was first seen, in order
   * @param faultWindows each fault's {@code [injected, converged]} nanos
   * @param promotionExtension what a new leader adds to every lease's TTL when it takes office (etcd
   *     and Keel: one election timeout)
   * @param allowance how long after its deadline a lease's key may still be seen
   * @param endNanos when observation ended; leases whose latest deadline is after it are not judged late
   */
  public static Verdict check(List<LeaseRecord> leases, Map<String, Long> deletionSeen, List<Long> leaderChanges,
      List<long[]> faultWindows, Duration promotionExtension, Duration allowance, long endNanos) {
    int judged = 0;
    long worstOverrun = Long.MIN_VALUE;
    long tightestMargin = Long.MAX_VALUE;
    for (LeaseRecord l : leases) {
      if (!l.keyWritten()) {
        continue;
      }
      long ttl = Duration.ofSeconds(l.ttlSeconds()).toNanos();
      long earliest = l.lastRefreshSentNanos() + ttl;
      long deadline = l.lastRefreshAnsweredNanos() + ttl;
      if (l.unansweredSentNanos() != 0) {
        deadline = Math.max(deadline, arrivedBy(faultWindows, l.unansweredSentNanos()) + ttl);
      }
      for (long change : leaderChanges) {
        if (change > l.lastRefreshAnsweredNanos()
            && (change <= deadline + allowance.toNanos()
              || sameFault(faultWindows, deadline, allowance.toNanos(), change))) {
          deadline = Math.max(deadline, change + ttl + promotionExtension.toNanos());
        }
      }
      deadline = Math.max(deadline, faultOver(faultWindows, deadline, allowance.toNanos()));
      long latest = deadline + allowance.toNanos();
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
      long overrun = seen - deadline;
      worstOverrun = Math.max(worstOverrun, overrun);
      tightestMargin = Math.min(tightestMargin, seen - earliest);
      if (seen > latest) {
        return Verdict.violation(NAME, "lease " + l.key() + " outlived its deadline by " + ms(overrun) + " (allowed "
            + ms(allowance.toNanos()) + "; its last refresh + TTL was " + ms(deadline - l.lastRefreshAnsweredNanos() - ttl)
            + " earlier than the deadline after leader changes)", List.of("    " + l, "    deletion seen at " + seen));
      }
    }
    return Verdict.ok(NAME, judged + " leases expired in time: none early (closest " + ms(tightestMargin)
        + " after its earliest allowed time), the latest " + ms(worstOverrun)
        + " after its deadline (last refresh or leader change + TTL; allowed " + ms(allowance.toNanos()) + ")");
  }

  /** The latest a request sent at {@code sent} arrives: the end of a fault it was sent in, or a second. */
  private static long arrivedBy(List<long[]> windows, long sent) {
    long by = sent + TimeUnit.SECONDS.toNanos(1);
    for (long[] w : windows) {
      if (sent >= w[0] && sent <= w[1]) {
        by = Math.max(by, w[1]);
      }
    }
    return by;
  }

  /**
   * When a fault in place at the deadline (or begun while the revoke was in flight) was over and
   * the cluster had converged, or 0: a frozen or cut-off leader that no other replaced cannot
   * expire anything until then.
   */
  private static long faultOver(List<long[]> windows, long deadline, long allowance) {
    long over = 0;
    for (long[] w : windows) {
      if (deadline + allowance >= w[0] && deadline <= w[1]) {
        over = Math.max(over, w[1]);
      }
    }
    return over;
  }

  /**
   * Whether the deadline fell in a fault, or so shortly before it that the revoke was still in
   * flight when the fault began (the leader froze or was cut off with it uncommitted), and the
   * change came within that fault.
   */
  private static boolean sameFault(List<long[]> windows, long deadline, long allowance, long change) {
    for (long[] w : windows) {
      if (deadline + allowance >= w[0] && deadline <= w[1] && change >= w[0] && change <= w[1]) {
        return true;
      }
    }
    return false;
  }

  static String ms(long nanos) {
    if (nanos == Long.MAX_VALUE || nanos == Long.MIN_VALUE) {
      return "n/a";
    }
    return String.format("%.0f ms", nanos / 1e6);
  }
}
