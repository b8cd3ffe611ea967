package keel.torture.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import keel.torture.history.Call;
import keel.torture.history.Op;

/**
 * The cheap first look at one key, before the search: reads that real time alone convicts, found
 * in O(n log n) however long the history (the full search must exhaust every alternative before it
 * can say no, which on long histories with many unknown writes can run out of budget). Values are
 * unique per write and the workload never deletes, so for an OK READ {@code r} of value {@code v}:
 *
 * <ul>
 *   <li>no WRITE or CAS of {@code v} that may have taken effect: nothing could have produced it;
 *   <li>its only such write was invoked after {@code r} returned: it came from the future;
 *   <li>a write {@code w2} that certainly took effect (OK WRITE, or CAS that swapped) was invoked
 *       after {@code v}'s write returned and returned before {@code r} was invoked: every
 *       linearization orders v's write, then {@code w2}, then {@code r}, and nothing can write
 *       {@code v} again, so {@code r} is stale. For {@code v} absent the same holds with the
 *       initial state in place of the write.
 * </ul>
 *
 * Sound (it reports only true violations) but not complete: the search finds the rest.
 */
final class StaleReads {
  /** A convicted read and the calls that convict it. */
  record Conviction(String problem, List<Call> calls) {}

  private StaleReads() {}

  /** The first convicted read of one key's calls (as given to the search), or {@code null}. */
  static Conviction find(List<Call> keyCalls) {
    Map<Long, List<Call>> writersOf = new HashMap<>();
    List<Call> certain = new ArrayList<>();
    for (Call c : keyCalls) {
      if (c.op().kind() == Op.Kind.WRITE || c.op().kind() == Op.Kind.CAS) {
        boolean noEffect = c.isFail() || (c.isOk() && !c.result().succeeded());
        if (!noEffect) {
          writersOf.computeIfAbsent(c.op().value(), v -> new ArrayList<>()).add(c);
          if (c.isOk()) {
            certain.add(c);
          }
        }
      }
    }
    certain.sort(Comparator.comparingLong(Call::invokeNanos));
    long[] invokes = new long[certain.size()];
    // suffixMin[i]: the certain write among certain[i..] that returned first.
    int[] suffixMin = new int[certain.size() + 1];
    suffixMin[certain.size()] = -1;
    for (int i = certain.size() - 1; i >= 0; i--) {
      invokes[i] = certain.get(i).invokeNanos();
      int best = suffixMin[i + 1];
      suffixMin[i] = best < 0 || certain.get(i).completeNanos() < certain.get(best).completeNanos() ? i : best;
    }

    for (Call r : keyCalls) {
      if (r.op().kind() != Op.Kind.READ || !r.isOk()) {
        continue;
      }
      Long v = r.result().value();
      long writtenBy;
      Call writer = null;
      if (v == null) {
        writtenBy = Long.MIN_VALUE;
      } else {
        List<Call> writers = writersOf.getOrDefault(v, List.of());
        if (writers.isEmpty()) {
          return new Conviction(Excerpt.call(r) + " read a value no write of it produced", List.of(r));
        }
        if (writers.size() > 1) {
          continue; // values are meant to be unique; do not judge a reused one here
        }
        writer = writers.get(0);
        if (writer.invokeNanos() > r.completeNanos()) {
          return new Conviction(Excerpt.call(r) + " read the value of a write invoked after it returned: "
              + Excerpt.call(writer), List.of(r, writer));
        }
        writtenBy = writer.completeNanos();
        if (writtenBy == Long.MAX_VALUE) {
          continue;
        }
      }
      int from = firstInvokedAfter(invokes, writtenBy);
      int w2 = suffixMin[from];
      if (w2 >= 0 && certain.get(w2).completeNanos() < r.invokeNanos()) {
        Call overwrite = certain.get(w2);
        List<Call> calls = writer == null ? List.of(overwrite, r) : List.of(writer, overwrite, r);
        return new Conviction(Excerpt.call(r) + " is stale: " + Excerpt.call(overwrite)
            + " overwrote " + Excerpt.value(v) + " and returned before the read began", calls);
      }
    }
    return null;
  }

  /** The first index whose invocation is strictly after {@code nanos}. */
  private static int firstInvokedAfter(long[] invokes, long nanos) {
    if (nanos == Long.MIN_VALUE) {
      return 0;
    }
    int i = Arrays.binarySearch(invokes, nanos + 1);
    if (i < 0) {
      return -i - 1;
    }
    while (i > 0 && invokes[i - 1] == nanos + 1) {
      i--;
    }
    return i;
  }
}
