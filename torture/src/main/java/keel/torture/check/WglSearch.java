package keel.torture.check;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import keel.torture.history.Call;
import keel.torture.history.Op;

/**
 * The Wing-Gong-Lowe search for one key's register (Lowe, "Testing for linearizability", 2017; the
 * shape Porcupine uses), over calls that already passed {@link RegisterLinearizability}'s
 * filtering.
 *
 * <p>Every call contributes two entries to a doubly linked list sorted by time: its invocation and
 * its return (at +infinity when its outcome is unknown). The search walks the list from the front:
 * at an invocation it tries to linearize that call now (the register model allows it, and the
 * (linearized set, value) configuration is new), and if so removes ("lifts") the call's two
 * entries, pushes it and starts again from the front; at a return it has reached a call that had
 * to take effect before this point but could not, so it pops the last linearized call, restores
 * the value and tries the next candidate after it. An empty list is a linearization; an empty
 * stack at a return is a proof there is none.
 *
 * <p>The model: a register of {@code Long} ({@code null} = absent), initially absent. READ returns
 * the value; WRITE sets it; CAS that swapped needs value == expected and sets it; CAS that did not
 * swap needs value != expected; CAS with an unknown outcome swaps iff value == expected.
 *
 * <p>Unseen writes ({@link Observed#unseen}: unknown outcome, value never observed) all write one
 * stand-in value, {@code unread}, that nothing reads: which unseen write put it there cannot
 * matter. For the same reason unseen WRITEs are linearized only in invocation order (any
 * linearization can swap two of them into that order, as their returns are at +infinity), so k of
 * them pending at once cost k+1 choices instead of 2^k.
 */
final class WglSearch {
  /** How many of the last linearized calls a failure keeps for its excerpt. */
  static final int TAIL = 6;

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
   * @param steps list entries visited
   * @param deepest most calls linearized at once before getting stuck (-1 if never stuck)
   * @param stuck index in the calls of the call that could not be linearized there (-1 if none)
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
  /** The unseen WRITEs' ids in invocation order; only {@code unseen[unseenLifted]} may be lifted. */
  private final int[] unseen;
  private int unseenLifted;
  private final Long unread;
  /** Node 2i is call i's invocation, 2i+1 its return; node 2n is the list head. */
  private final int[] next;
  private final int[] prev;
  private final int head;

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
    Observed observed = Observed.of(calls);
    unread = unusedValue(calls);
    int[] unseenIds = new int[n];
    int unseenCount = 0;
    for (int i = 0; i < n; i++) {
      Call c = calls.get(i);
      Op op = c.op();
      switch (op.kind()) {
        case READ -> {
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
          unseenIds[unseenCount++] = i;
        }
      }
    }
    unseen = Arrays.copyOf(unseenIds, unseenCount);
    head = 2 * n;
    next = new int[2 * n + 1];
    prev = new int[2 * n + 1];
    link();
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

  /** Invocation order: the order of call ids. */
  static final Comparator<Call> ORDER =
      Comparator.comparingLong(Call::invokeNanos).thenComparingLong(c -> c.invoke().index());

  /** Searches for a linearization of {@code calls} (one key, in {@link #ORDER}), visiting at most {@code budget} entries. */
  static Outcome run(List<Call> calls, long budget) {
    for (int i = 1; i < calls.size(); i++) {
      if (ORDER.compare(calls.get(i - 1), calls.get(i)) > 0) {
        throw new IllegalArgumentException("calls must be in invocation order: "
            + Excerpt.call(calls.get(i - 1)) + " comes before " + Excerpt.call(calls.get(i)));
      }
    }
    return new WglSearch(calls).search(budget);
  }

  private void link() {
    Integer[] nodes = new Integer[2 * n];
    for (int i = 0; i < 2 * n; i++) {
      nodes[i] = i;
    }
    Arrays.sort(nodes, Comparator.<Integer>comparingLong(this::nanos).thenComparingLong(this::index));
    int last = head;
    for (int node : nodes) {
      next[last] = node;
      prev[node] = last;
      last = node;
    }
    next[last] = head;
    prev[head] = last;
  }

  /** When the entry happened; an unknown call's return is at +infinity. */
  private long nanos(int node) {
    Call c = calls.get(node >>> 1);
    return (node & 1) == 0 ? c.invokeNanos() : c.completeNanos();
  }

  /** Tie-break within one nanosecond: the history's order; unknown returns by call. */
  private long index(int node) {
    Call c = calls.get(node >>> 1);
    if ((node & 1) == 0) {
      return c.invoke().index();
    }
    return c.isUnknown() ? Long.MAX_VALUE - n + (node >>> 1) : c.completion().index();
  }

  private Outcome search(long budget) {
    LinearizedSets memo = new LinearizedSets(n);
    int[] stack = new int[n];
    Long[] stateBefore = new Long[n];
    int depth = 0;
    Long state = null;
    long steps = 0;
    int entry = next[head];
    while (next[head] != head) {
      if (++steps > budget) {
        return outcome(Status.BUDGET_EXCEEDED, steps - 1);
      }
      int call = entry >>> 1;
      if ((entry & 1) == 0) {
        if (allows(call, state)) {
          Long after = apply(call, state);
          memo.set(call);
          if (memo.add(after)) {
            stack[depth] = call;
            stateBefore[depth] = state;
            depth++;
            state = after;
            lift(call);
            entry = next[head];
            continue;
          }
          memo.clear(call);
        }
        entry = next[entry];
      } else {
        if (depth > deepest) {
          remember(depth, call, state, stack, stateBefore);
        }
        if (depth == 0) {
          return outcome(Status.NOT_LINEARIZABLE, steps);
        }
        depth--;
        int undone = stack[depth];
        state = stateBefore[depth];
        memo.clear(undone);
        unlift(undone);
        entry = next[2 * undone];
      }
    }
    return outcome(Status.LINEARIZABLE, steps);
  }

  private boolean allows(int call, Long state) {
    return switch (kind[call]) {
      case READ -> Objects.equals(state, value[call]);
      case CAS_SWAPPED -> Objects.equals(state, expected[call]);
      case CAS_NOT_SWAPPED -> !Objects.equals(state, expected[call]);
      case UNSEEN_WRITE -> unseen[unseenLifted] == call;
      default -> true;
    };
  }

  private Long apply(int call, Long state) {
    return switch (kind[call]) {
      case WRITE, CAS_SWAPPED, UNSEEN_WRITE -> value[call];
      case CAS_UNKNOWN -> Objects.equals(state, expected[call]) ? value[call] : state;
      default -> state;
    };
  }

  /** Removes the call's invocation and return from the list (dancing links). */
  private void lift(int call) {
    if (kind[call] == UNSEEN_WRITE) {
      unseenLifted++;
    }
    unlink(2 * call);
    unlink(2 * call + 1);
  }

  /** Puts them back, in the reverse order of {@link #lift}. */
  private void unlift(int call) {
    relink(2 * call + 1);
    relink(2 * call);
    if (kind[call] == UNSEEN_WRITE) {
      unseenLifted--;
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
