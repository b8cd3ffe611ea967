package keel.torture.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import keel.torture.history.Call;
import keel.torture.history.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the register workload for linearizability, one key at a time (linearizability is
 * compositional: a history is linearizable iff each key's sub-history is), with a {@link
 * WglSearch Wing-Gong-Lowe search} per key.
 *
 * <p>What takes part, per key:
 *
 * <ul>
 *   <li>Linearizable reads ({@link Op.Kind#READ}) that completed OK. Serializable reads are not
 *       linearizable by contract and are left to {@link SerialReads}; reads with an unknown
 *       outcome say nothing and are dropped.
 *   <li>Writes and CAS that completed OK, with their outcome (a CAS that did not swap asserts the
 *       value differed from the expected one).
 *   <li>Writes and CAS with an unknown outcome (INFO, or no completion): they may take effect at
 *       any time after their invocation, or never, so their return is at +infinity. One whose
 *       value nobody observed is dropped before the search when no failed compare could have needed
 *       it (see {@link #withoutUnobservedUnknowns}): "never" is always a valid explanation for
 *       it, and each kept one multiplies the search.
 *   <li>FAILed calls certainly did not happen and are dropped.
 * </ul>
 *
 * Each key first gets {@link StaleReads}' cheap look for reads that real time alone convicts (a
 * stale read, a read from the future), which finds those however long the history; then the
 * search. A key whose search runs out of its step budget makes the verdict {@link
 * Verdict.Outcome#UNKNOWN} (unless another key is violated): neither pass nor fail.
 */
public final class RegisterLinearizability {
  public static final String NAME = "linearizability";
  /**
   * Steps per key before giving up (a few seconds of CPU). A linearizable key of ~10,000 calls
   * with 5-10 concurrent clients and some unknown writes needs well under a million. Proving a
   * violation means exhausting every alternative before it, which on long keys with many unknown
   * writes can exceed this: then the verdict is UNKNOWN, never a wrong pass.
   */
  public static final long DEFAULT_STEP_BUDGET = 10_000_000;
  /** How many violated keys get an excerpt. */
  private static final int KEYS_SHOWN = 3;
  /** How many calls around the stuck one an excerpt shows. */
  private static final int AROUND = 16;

  private static final Logger LOG = LoggerFactory.getLogger(RegisterLinearizability.class);

  private final long stepBudget;

  public RegisterLinearizability() {
    this(DEFAULT_STEP_BUDGET);
  }

  /** A checker that gives up on a key after visiting {@code stepBudgetPerKey} list entries. */
  public RegisterLinearizability(long stepBudgetPerKey) {
    if (stepBudgetPerKey <= 0) {
      throw new IllegalArgumentException("the step budget must be positive, got " + stepBudgetPerKey);
    }
    this.stepBudget = stepBudgetPerKey;
  }

  /** Checks every key's READ, WRITE and CAS calls in {@code calls} (other kinds are ignored). */
  public Verdict check(List<Call> calls) {
    long start = Excerpt.start(calls);
    Map<String, List<Call>> byKey = new TreeMap<>();
    long failed = 0;
    long unknownReads = 0;
    for (Call c : calls) {
      Op.Kind kind = c.op().kind();
      if (kind == Op.Kind.SERIAL_READ) {
        continue;
      }
      if (c.isFail()) {
        failed++;
      } else if (kind == Op.Kind.READ && c.isUnknown()) {
        unknownReads++;
      } else {
        byKey.computeIfAbsent(c.op().key(), k -> new ArrayList<>()).add(c);
      }
    }

    long searched = 0;
    long pruned = 0;
    long steps = 0;
    List<String> violatedKeys = new ArrayList<>();
    List<String> undecidedKeys = new ArrayList<>();
    List<String> excerpt = new ArrayList<>();
    String firstProblem = null;
    for (Map.Entry<String, List<Call>> e : byKey.entrySet()) {
      String key = e.getKey();
      List<Call> keyCalls = e.getValue();
      List<Call> kept = withoutUnobservedUnknowns(keyCalls);
      pruned += keyCalls.size() - kept.size();
      searched += kept.size();
      StaleReads.Conviction conviction = StaleReads.find(kept);
      if (conviction != null) {
        String problem = "key " + key + ": " + conviction.problem();
        LOG.warn("{}: key {} is not linearizable: {}", NAME, key, problem);
        if (violatedKeys.size() < KEYS_SHOWN) {
          excerpt.add(problem + ":");
          for (String line : Excerpt.lines(conviction.calls(), start)) {
            excerpt.add("  " + line);
          }
        }
        if (violatedKeys.isEmpty()) {
          firstProblem = problem;
        }
        violatedKeys.add(key);
        continue;
      }
      WglSearch.Outcome outcome = WglSearch.run(kept, stepBudget);
      steps += outcome.steps();
      switch (outcome.status()) {
        case LINEARIZABLE -> { }
        case NOT_LINEARIZABLE -> {
          String problem = stuckLine(key, kept, outcome);
          LOG.warn("{}: key {} is not linearizable: {}", NAME, key, problem);
          if (violatedKeys.size() < KEYS_SHOWN) {
            excerpt.addAll(excerpt(key, kept, outcome, start));
          }
          if (violatedKeys.isEmpty()) {
            firstProblem = problem;
          }
          violatedKeys.add(key);
        }
        case BUDGET_EXCEEDED -> {
          LOG.warn("{}: gave up on key {} after {} steps ({} calls): raise the step budget or "
              + "shorten the run", NAME, key, outcome.steps(), kept.size());
          if (undecidedKeys.isEmpty() && violatedKeys.isEmpty()) {
            excerpt.addAll(excerpt(key, kept, outcome, start));
          }
          undecidedKeys.add(key);
        }
      }
    }

    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("keys", (long) byKey.size());
    counts.put("calls", searched);
    counts.put("failedDropped", failed);
    counts.put("unknownReadsDropped", unknownReads);
    counts.put("unobservedUnknownWritesDropped", pruned);
    counts.put("steps", steps);
    counts.put("violatedKeys", (long) violatedKeys.size());
    counts.put("undecidedKeys", (long) undecidedKeys.size());
    Verdict verdict;
    if (!violatedKeys.isEmpty()) {
      verdict = Verdict.violation(NAME, violatedKeys.size() + " of " + byKey.size()
          + " keys not linearizable " + violatedKeys + "; first: " + firstProblem, excerpt);
    } else if (!undecidedKeys.isEmpty()) {
      verdict = Verdict.unknown(NAME, "unknown: search budget exceeded for key "
          + String.join(", ", undecidedKeys) + " (" + stepBudget + " steps per key); the other "
          + (byKey.size() - undecidedKeys.size()) + " keys are linearizable", excerpt);
    } else {
      verdict = Verdict.ok(NAME, byKey.size() + " keys, " + searched + " calls linearizable");
    }
    return verdict.withCounts(counts);
  }

  /**
   * One key's calls, in invocation order, without the writes and CAS of unknown outcome that may
   * be assumed never to have happened. Such a call {@code w} can go when nothing observed it: no
   * OK READ returned its value, no CAS (other than a FAILed one) expected its value, and no CAS
   * that completed without swapping returned after {@code w} was invoked ({@link
   * Observed#droppable}). Then any linearization with {@code w} stays
   * one without it: the reads and swapping CAS between {@code w} and the next write saw another
   * value anyway, and the unknown CAS there (which did not swap, since none expected {@code w}'s
   * value) can move to the end. Conversely {@code w} can always be put last. So the key is
   * linearizable with {@code w} iff it is without it.
   */
  static List<Call> withoutUnobservedUnknowns(List<Call> keyCalls) {
    Observed observed = Observed.of(keyCalls);
    List<Call> kept = new ArrayList<>(keyCalls.size());
    for (Call c : keyCalls) {
      if (!observed.droppable(c)) {
        kept.add(c);
      }
    }
    // Ids in invocation order keep the search's linearized sets compact (LinearizedSets).
    kept.sort(WglSearch.ORDER);
    return kept;
  }

  private static String stuckLine(String key, List<Call> calls, WglSearch.Outcome o) {
    Call stuck = calls.get(o.stuck());
    return "key " + key + ": " + Excerpt.call(stuck) + " cannot be linearized after "
        + o.deepest() + " of " + calls.size() + " calls (register " + register(o, o.stuckState())
        + ")";
  }

  /**
   * The longest linearizable prefix's last calls (with the register after each), then the events
   * of the call that could not be linearized and of the calls concurrent with it (and of the write
   * whose value a stuck read returned).
   */
  private static List<String> excerpt(String key, List<Call> calls, WglSearch.Outcome o, long start) {
    List<String> lines = new ArrayList<>();
    if (o.stuck() < 0) {
      lines.add("key " + key + ": " + calls.size() + " calls; the search never backtracked");
      return lines;
    }
    String what = o.status() == WglSearch.Status.BUDGET_EXCEEDED ? "deepest point before giving up"
        : "longest linearizable prefix";
    lines.add("key " + key + ": " + what + ": " + o.deepest() + " of " + calls.size() + " calls"
        + (o.tail().length == 0 ? "" : "; its last " + o.tail().length + ", with the register after each:"));
    for (int i = 0; i < o.tail().length; i++) {
      lines.add("  " + Excerpt.call(calls.get(o.tail()[i])) + "  => "
          + register(o, o.tailStates()[i]));
    }
    Call stuck = calls.get(o.stuck());
    lines.add("key " + key + ": " + Excerpt.call(stuck) + " cannot be linearized on register "
        + register(o, o.stuckState()) + "; it and the calls concurrent with it:");
    List<Call> around = new ArrayList<>();
    around.add(stuck);
    for (Call c : concurrentWith(stuck, calls)) {
      if (around.size() > AROUND) {
        lines.add("  (more concurrent calls left out)");
        break;
      }
      around.add(c);
    }
    Long read = stuck.op().kind() == Op.Kind.READ ? stuck.result().value() : null;
    if (read != null) {
      for (Call c : calls) {
        if (!c.op().isRead() && read.equals(c.op().value()) && !around.contains(c)) {
          lines.add("  (the write of " + read + ": " + Excerpt.call(c) + ")");
          around.add(c);
        }
      }
    }
    for (String line : Excerpt.lines(around, start)) {
      lines.add("  " + line);
    }
    return lines;
  }

  /** The register's value as text; the unseen writes' stand-in is named as such. */
  private static String register(WglSearch.Outcome o, Long value) {
    return value != null && value.equals(o.unread()) ? "(a value no read saw, from an unknown write)"
        : Excerpt.value(value);
  }

  /** The calls whose interval overlaps {@code c}'s, nearest in invocation first. */
  private static List<Call> concurrentWith(Call c, List<Call> calls) {
    List<Call> overlapping = new ArrayList<>();
    for (Call other : calls) {
      if (other != c && other.invokeNanos() <= c.completeNanos() && c.invokeNanos() <= other.completeNanos()) {
        overlapping.add(other);
      }
    }
    overlapping.sort((a, b) -> Long.compare(
        Math.abs(a.invoke().index() - c.invoke().index()), Math.abs(b.invoke().index() - c.invoke().index())));
    return overlapping;
  }
}
