package keel.torture.check;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import keel.torture.history.Call;
import keel.torture.history.Op;

/**
 * What one key's calls reveal about its writes of unknown outcome: which values somebody
 * observed, and when the last CAS that did not swap returned. A WRITE or CAS of unknown outcome
 * whose value nobody observed is <em>unseen</em>: no READ returned it and no CAS (other than a
 * FAILed one) expected it.
 *
 * <p>An unseen write can only matter by making a CAS fail (the register held "something else");
 * so when no CAS that did not swap returned after its invocation it can be dropped (see {@link
 * RegisterLinearizability#withoutUnobservedUnknowns}), and otherwise the search treats all unseen
 * writes as writing one and the same unread value (see {@link WglSearch}).
 *
 * @param values values returned by OK READs and expected by CAS that did not FAIL
 * @param lastNotSwappedReturn when the last OK CAS that did not swap returned ({@link
 *     Long#MIN_VALUE} if none)
 */
record Observed(Set<Long> values, long lastNotSwappedReturn) {
  static Observed of(List<Call> keyCalls) {
    Set<Long> values = new HashSet<>();
    long lastNotSwappedReturn = Long.MIN_VALUE;
    for (Call c : keyCalls) {
      Op op = c.op();
      if (op.kind() == Op.Kind.READ && c.isOk() && c.result().value() != null) {
        values.add(c.result().value());
      } else if (op.kind() == Op.Kind.CAS && !c.isFail()) {
        if (op.expected() != null) {
          values.add(op.expected());
        }
        if (c.isOk() && !c.result().succeeded()) {
          lastNotSwappedReturn = Math.max(lastNotSwappedReturn, c.completeNanos());
        }
      }
    }
    return new Observed(values, lastNotSwappedReturn);
  }

  /** A WRITE or CAS of unknown outcome whose value nobody observed. */
  boolean unseen(Call c) {
    return c.isUnknown()
        && (c.op().kind() == Op.Kind.WRITE || c.op().kind() == Op.Kind.CAS)
        && !values.contains(c.op().value());
  }

  /**
   * An unseen write that no CAS could have needed either: none that did not swap returned after
   * (or in the same nanosecond as) its invocation.
   */
  boolean droppable(Call c) {
    return unseen(c) && lastNotSwappedReturn < c.invokeNanos();
  }
}
