package keel.torture.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import keel.torture.history.Call;
import keel.torture.history.Op;
import keel.torture.workload.WatchedEvent;

/**
 * Nothing acknowledged is lost, nothing unwritten appears: every write or swapping CAS answered OK
 * is in the committed history at the revision it was answered with, holding its value; every read
 * answered OK with a value saw the committed value at that value's mod revision; and every value
 * in the committed history was written by an operation that was invoked and did not fail.
 */
public final class AcknowledgedWrites {
  private static final String NAME = "acknowledged-writes";

  private AcknowledgedWrites() {}

  public static Verdict check(List<Call> calls, CommittedHistory committed, String prefix) {
    Set<String> tried = new HashSet<>();
    int writes = 0;
    int reads = 0;
    for (Call c : calls) {
      Op op = c.op();
      if (op.isRead()) {
        if (c.isOk() && c.result().value() != null) {
          reads++;
          WatchedEvent e = committed.at(c.result().modRevision(), op.key());
          if (e == null || !e.put() || !e.value().equals(Long.toString(c.result().value()))) {
            return violation("read " + describe(c) + " saw value " + c.result().value() + " at mod revision "
                + c.result().modRevision() + " but the committed history has " + e, c);
          }
        }
        continue;
      }
      if (!c.isFail()) {
        tried.add(op.key() + "=" + op.value());
      }
      boolean acknowledged = c.isOk() && c.result().succeeded();
      if (acknowledged) {
        writes++;
        WatchedEvent e = committed.at(c.result().revision(), op.key());
        if (e == null || !e.put() || !e.value().equals(Long.toString(op.value()))) {
          return violation("acknowledged " + describe(c) + " at revision " + c.result().revision()
              + " is not in the committed history (there: " + e + ")", c);
        }
      }
    }
    for (WatchedEvent e : committed.under(prefix)) {
      if (e.put() && !tried.contains(e.key() + "=" + e.value())) {
        return Verdict.violation(NAME, "committed " + e + " was written by no operation that was invoked and did "
            + "not fail", List.of("    " + e));
      }
    }
    return Verdict.ok(NAME, writes + " acknowledged writes all committed with their values; " + reads
        + " reads saw committed values; nothing unwritten appeared");
  }

  private static String describe(Call c) {
    return c.op().kind().name().toLowerCase() + " " + c.op().key()
        + (c.op().value() == null ? "" : " := " + c.op().value()) + " (event " + c.invoke().index()
        + ", process " + c.process() + ", via " + c.op().member() + ")";
  }

  private static Verdict violation(String why, Call c) {
    List<String> lines = new ArrayList<>();
    lines.add("    " + c.invoke());
    lines.add("    " + c.completion());
    return Verdict.violation(NAME, why, lines);
  }
}
