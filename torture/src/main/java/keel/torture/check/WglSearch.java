package keel.torture.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import keel.torture.history.Call;
import keel.torture.history.Op;

/**
 * The Wing-Gong-Lowe search for one key's register (Lowe, "Testing for linearizability", 2017; the
 * shape Porcupine uses), over calls that already passed {@link RegisterLinearizability}'s
 * filtering, in invocation order.
 *
 * <p>Every call with a known outcome contributes two entries to a doubly linked list sorted by
 * time: its invocation and its return. The search walks the list from the front: at an invocation
 * it tries to linearize that call now (the register model allows it, and the configuration is
 * new), and if so removes ("lifts") the call's two entries, pushes it and starts again from the
 * front. The first return entry it meets is the frontier: every call invoked before it may go
 * next. There it also tries the calls of unknown outcome invoked before the frontier (they return
 * at +infinity, so they are kept out of the list and offered here, see below). When none goes, a
 * call had to take effect before the frontier but could not: it pops the last linearized call,
 * restores the value and tries the next candidate after it. When every call with a known outcome
 * is linearized, the unknown ones left can follow in any order (each is a write or a CAS, allowed
 * in any state): success. An empty stack at a dead end proves there is no linearization.
 *
 * <p>The model: a register of {@code Long} ({@code null} = absent), initially absent. READ returns
 * the value; WRITE sets it; CAS that swapped needs value == expected and sets it; CAS that did not
 * swap needs value != expected; CAS with an unknown outcome swaps iff value == expected.
 *
 * <p>Unknown calls, cheaply:
 *
 * <ul>
 *   <li>An unknown CAS is offered only where it swaps: one that does not changes nothing and may
 *       as well go last. They are indexed by their expected value.
 *   <li>Unseen writes ({@link Observed#unseen}: unknown outcome, value never observed) all write
 *       one stand-in value, {@code unread}, that nothing reads: which one put it there cannot
 *       matter. So unseen WRITEs go only in invocation order (any linearization can swap two of
 *       them into that order), and k of them pending cost k+1 choices instead of 2^k.
 *   <li>The memo ({@link LinearizedSets}) treats a configuration with more unknown calls
 *       linearized as dominated by one with fewer and the same rest.
 * </ul>
 */
final class WglSearch {
  /** How many of the last linearized calls a failure keeps for its excerpt. */
  static final int TAIL = 6;

  /** Invocation order: the order of call ids. */
  static final Comparator<Call> ORDER =
      Comparator.comparingLong(Call::invokeNanos).thenComparingLong(c -> c.invoke().index());

  private static final byte READ = 0;
  private static final byte WRITE = 1;
  private static final byte CAS_SWAPPED = 2;
  private static final byte CAS_NOT_SWAPPED = 3;
  private static final byte CAS_UNKNOWN = 4;
  private static final byte UNSEEN_WRITE = 5;

  /** How a search ended. */
  enum Status {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    BUDGET_EXCEEDED
  }

  /**
   * The search's conclusion and, unless linearizable, the deepest point it reached.
   *
   * @param status the conclusion
   * @param steps list entries visited plus unknown calls offered
   * @param deepest most calls linearized at once at a dead end (-1 if none)
   * @param stuck index in the calls of a call that could not be linearized there (-1 if none)
   * @param stuckState the register's value there
   * @param tail indices of the last (up to {@link #TAIL}) linearized calls there, in order
   * @param tailStates the register's value after each of them
   * @param unread the value standing for "written by an unseen write"
   */
  record Outcome(
      Status status, long steps, int deepest, int stuck, Long stuckState, int[] tail,
      Long[] tailStates, Long unread) {}

  private final List<Call> calls;
  private final int n;
  private final byte[] kind;
  private final Long[] value;
  private final Long[] expected;
  private final Long unread;
  /** Dense index of a known call among the known ones, or of an unknown one among the unknown. */
  private final int[] dense;
  private final int knownCount;
  /** Node 2i is known call i's invocation, 2i+1 its return; node 2n is the list head. */
  private final int[] next;
  private final int[] prev;
  private final int head;

  /** Unknown WRITEs that someone observed, in invocation order. */
  private final int[] seenWrites;
  /** Unseen WRITEs in invocation order; only {@code unseen[unseenLifted]} may go next. */
  private final int[] unseen;
  private int unseenLifted;
  /** Unknown CAS by expected value, each in invocation order. */
  private final Map<Long, int[]> casByExpected = new HashMap<>();
  private final boolean[] lifted;
  private final long[] unknownSet;

  private int deepest = -1;
  private int stuck = -1;
  private Long stuckState;
  private int[] tail = new int[0];
  private Long[] tailStates = new Long[0];

  private WglSearch(List<Call> calls) {
    this.calls = calls;
    this.n = calls.size();
    kind = new byte[n];
    value = new Long[n];
    expected = new Long[n];
    dense = new int[n];
    lifted = new boolean[n];
    Observed observed = Observed.of(calls);
    unread = unusedValue(calls);
    List<Integer> seen = new ArrayList<>();
    List<Integer> unseenList = new ArrayList<>();
    Map<Long, List<Integer>> cas = new HashMap<>();
    int known = 0;
    int unknown = 0;
    for (int i = 0; i < n; i++) {
      Call c = calls.get(i);
      Op op = c.op();
      dense[i] = c.isUnknown() ? unknown++ : known++;
      switch (op.kind()) {
        case READ -> {
          if (!c.isOk()) {
            throw new IllegalArgumentException("only OK reads take part: " + Excerpt.call(c));
          }
          kind[i] = READ;
          value[i] = c.result().value();
        }
        case WRITE -> {
          kind[i] = WRITE;
          value[i] = op.value();
        }
        case CAS -> {
          kind[i] = !c.isOk() ? CAS_UNKNOWN : c.result().succeeded() ? CAS_SWAPPED : CAS_NOT_SWAPPED;
          value[i] = op.value();
          expected[i] = op.expected();
        }
        case SERIAL_READ -> throw new IllegalArgumentException(
            "serializable reads are not part of the linearizability search: " + Excerpt.call(c));
      }
      if (observed.unseen(c)) {
        value[i] = unread;
        if (kind[i] == WRITE) {
          kind[i] = UNSEEN_WRITE;
        }
      }
      switch (kind[i]) {
        case WRITE -> {
          if (c.isUnknown()) {
            seen.add(i);
          }
        }
        case UNSEEN_WRITE -> unseenList.add(i);
        case CAS_UNKNOWN -> cas.computeIfAbsent(expected[i], e -> new ArrayList<>()).add(i);
        default -> { }
      }
    }
    knownCount = known;
    unknownSet = new long[(unknown + 63) / 64];
    seenWrites = seen.stream().mapToInt(Integer::intValue).toArray();
    unseen = unseenList.stream().mapToInt(Integer::intValue).toArray();
    cas.forEach((e, ids) -> casByExpected.put(e, ids.stream().mapToInt(Integer::intValue).toArray()));
    head = 2 * n;
    next = new int[2 * n + 1];
    prev = new int[2 * n + 1];
    link();
  }

  /** Searches for a linearization of {@code calls} (one key, in {@link #ORDER}), within {@code budget} steps. */
  static Outcome run(List<Call> calls, long budget) {
    for (int i = 1; i < calls.size(); i++) {
      if (ORDER.compare(calls.get(i - 1), calls.get(i)) > 0) {
        throw new IllegalArgumentException("calls must be in invocation order: "
            + Excerpt.call(calls.get(i - 1)) + " comes before " + Excerpt.call(calls.get(i)));
      }
    }
    return new WglSearch(calls).search(budget);
  }

  /** A value no call wrote, read or expected. */
  private static Long unusedValue(List<Call> calls) {
    Set<Long> used = new HashSet<>();
    for (Call c : calls) {
      used.add(c.op().value());
      used.add(c.op().expected());
      if (c.isOk()) {
        used.add(c.result().value());
      }
    }
    long v = Long.MIN_VALUE;
    while (used.contains(v)) {
      v++;
    }
    return v;
  }

  private void link() {
    List<Integer> nodes = new ArrayList<>(2 * n);
    for (int i = 0; i < n; i++) {
      if (!calls.get(i).isUnknown()) {
        nodes.add(2 * i);
        nodes.add(2 * i + 1);
      }
    }
    nodes.sort(Comparator.<Integer>comparingLong(this::nanos).thenComparingLong(this::index));
    int last = head;
    for (int node : nodes) {
      next[last] = node;
      prev[node] = last;
      last = node;
    }
    next[last] = head;
    prev[head] = last;
  }

  private long nanos(int node) {
    Call c = calls.get(node >>> 1);
    return (node & 1) == 0 ? c.invokeNanos() : c.completeNanos();
  }

  /** Tie-break within one nanosecond: the history's order. */
  private long index(int node) {
    Call c = calls.get(node >>> 1);
    return (node & 1) == 0 ? c.invoke().index() : c.completion().index();
  }

  /** Whether unknown call {@code u} was invoked before the frontier (a return entry). */
  private boolean before(int u, int frontier) {
    Call c = calls.get(u);
    long at = nanos(frontier);
    return c.invokeNanos() < at || (c.invokeNanos() == at && c.invoke().index() < index(frontier));
  }

  /**
   * The unknown calls that may go next in the current configuration: invoked before the frontier,
   * not linearized, and changing something: seen unknown writes, the next unseen write, and the
   * unknown CAS expecting the current value. A function of the configuration alone, so a
   * backtrack can find its place again.
   */
  private List<Integer> unknownCandidates(int frontier, Long state) {
    List<Integer> out = new ArrayList<>();
    for (int w : seenWrites) {
      if (!before(w, frontier)) {
        break;
      }
      if (!lifted[w]) {
        out.add(w);
      }
    }
    if (unseenLifted < unseen.length && before(unseen[unseenLifted], frontier)
        && !Objects.equals(state, unread)) {
      out.add(unseen[unseenLifted]);
    }
    for (int c : casByExpected.getOrDefault(state, new int[0])) {
      if (!before(c, frontier)) {
        break;
      }
      if (!lifted[c]) {
        out.add(c);
      }
    }
    return out;
  }

  private int frontier() {
    int e = next[head];
    while ((e & 1) == 0) {
      e = next[e];
    }
    return e;
  }

  private Outcome search(long budget) {
    LinearizedSets memo = new LinearizedSets(knownCount);
    int[] stack = new int[n];
    Long[] stateBefore = new Long[n];
    int depth = 0;
    Long state = null;
    long steps = 0;
    int known = knownCount;
    int entry = next[head];
    List<Integer> candidates = null;
    int candidate = 0;
    while (known > 0) {
      if (++steps > budget) {
        return outcome(Status.BUDGET_EXCEEDED, steps - 1);
      }
      int call;
      if (candidates == null && (entry & 1) == 0) {
        call = entry >>> 1;
        entry = next[entry];
        if (!allows(call, state)) {
          continue;
        }
      } else if (candidates == null) {
        candidates = unknownCandidates(entry, state);
        candidate = 0;
        continue;
      } else if (candidate < candidates.size()) {
        call = candidates.get(candidate++);
      } else {
        // A dead end: the frontier's call could not go before its return.
        if (depth > deepest) {
          remember(depth, entry >>> 1, state, stack, stateBefore);
        }
        if (depth == 0) {
          return outcome(Status.NOT_LINEARIZABLE, steps);
        }
        depth--;
        int undone = stack[depth];
        state = stateBefore[depth];
        unlift(undone, memo);
        if (calls.get(undone).isUnknown()) {
          entry = frontier();
          candidates = unknownCandidates(entry, state);
          candidate = candidates.indexOf(undone) + 1;
        } else {
          known++;
          entry = next[2 * undone];
          candidates = null;
        }
        continue;
      }
      Long after = apply(call, state);
      lift(call, memo);
      if (memo.add(after, unknownSet)) {
        stack[depth] = call;
        stateBefore[depth] = state;
        depth++;
        state = after;
        known -= calls.get(call).isUnknown() ? 0 : 1;
        entry = next[head];
        candidates = null;
      } else {
        unlift(call, memo);
      }
    }
    return outcome(Status.LINEARIZABLE, steps);
  }

  /** Whether a known call may go in {@code state} (unknown ones are offered only where they may). */
  private boolean allows(int call, Long state) {
    return switch (kind[call]) {
      case READ -> Objects.equals(state, value[call]);
      case CAS_SWAPPED -> Objects.equals(state, expected[call]);
      case CAS_NOT_SWAPPED -> !Objects.equals(state, expected[call]);
      default -> true;
    };
  }

  private Long apply(int call, Long state) {
    return switch (kind[call]) {
      case READ, CAS_NOT_SWAPPED -> state;
      default -> value[call];
    };
  }

  /** Marks the call linearized; a known call's two entries leave the list (dancing links). */
  private void lift(int call, LinearizedSets memo) {
    lifted[call] = true;
    if (calls.get(call).isUnknown()) {
      unknownSet[dense[call] >>> 6] |= 1L << dense[call];
      if (kind[call] == UNSEEN_WRITE) {
        unseenLifted++;
      }
    } else {
      memo.set(dense[call]);
      unlink(2 * call);
      unlink(2 * call + 1);
    }
  }

  /** Undoes {@link #lift}; lifts are undone in the reverse order, so the links come back exactly. */
  private void unlift(int call, LinearizedSets memo) {
    lifted[call] = false;
    if (calls.get(call).isUnknown()) {
      unknownSet[dense[call] >>> 6] &= ~(1L << dense[call]);
      if (kind[call] == UNSEEN_WRITE) {
        unseenLifted--;
      }
    } else {
      memo.clear(dense[call]);
      relink(2 * call + 1);
      relink(2 * call);
    }
  }

  private void unlink(int node) {
    next[prev[node]] = next[node];
    prev[next[node]] = prev[node];
  }

  private void relink(int node) {
    next[prev[node]] = node;
    prev[next[node]] = node;
  }

  private void remember(int depth, int call, Long state, int[] stack, Long[] stateBefore) {
    deepest = depth;
    stuck = call;
    stuckState = state;
    int from = Math.max(0, depth - TAIL);
    tail = Arrays.copyOfRange(stack, from, depth);
    tailStates = new Long[depth - from];
    for (int j = from; j < depth; j++) {
      tailStates[j - from] = j + 1 < depth ? stateBefore[j + 1] : state;
    }
  }

  private Outcome outcome(Status status, long steps) {
    return new Outcome(status, steps, deepest, stuck, stuckState, tail, tailStates, unread);
  }
}
