package keel.torture.check;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one checker concluded about a history. Shared by every checker (registers, serializable
 * reads, watches, leases, election), so it holds only what a report needs: who judged, the
 * outcome, a one-line summary, the offending part of the history as readable lines (see {@link
 * Excerpt}) and a few named counts.
 *
 * <p>There are three outcomes, as in Jepsen: a checker may give up (a search budget ran out), and
 * that is neither a pass nor a violation; a run passes only when every verdict is {@link
 * Outcome#VALID}.
 *
 * @param checker the checker's name ({@code "linearizability"}, {@code "serializable-reads"})
 * @param outcome valid, a violation, or undecided
 * @param summary one line: what held, or what went wrong and where
 * @param excerpt the offending events, one readable line each; empty when valid
 * @param counts named numbers for the report (calls checked, keys, search steps), in insertion order
 */
public record Verdict(
    String checker, Outcome outcome, String summary, List<String> excerpt, Map<String, Long> counts) {

  /** Jepsen's {@code :valid?}: true, false, or {@code :unknown}. */
  public enum Outcome {
    /** The guarantee held on this history. */
    VALID,
    /** The history shows the guarantee broken; the excerpt shows where. */
    INVALID,
    /** The checker could not decide (e.g. its search budget ran out); not a pass. */
    UNKNOWN
  }

  public Verdict {
    Objects.requireNonNull(checker, "checker");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(summary, "summary");
    excerpt = List.copyOf(excerpt);
    counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
  }

  /** The guarantee held. */
  public static Verdict ok(String checker, String summary) {
    return new Verdict(checker, Outcome.VALID, summary, List.of(), Map.of());
  }

  /** The guarantee was broken; {@code excerpt} shows the offending part of the history. */
  public static Verdict violation(String checker, String summary, List<String> excerpt) {
    return new Verdict(checker, Outcome.INVALID, summary, excerpt, Map.of());
  }

  /** The checker could not decide; {@code excerpt} may show where it gave up. */
  public static Verdict unknown(String checker, String summary, List<String> excerpt) {
    return new Verdict(checker, Outcome.UNKNOWN, summary, excerpt, Map.of());
  }

  /** This verdict with these counts (replacing any it had). */
  public Verdict withCounts(Map<String, Long> counts) {
    return new Verdict(checker, outcome, summary, excerpt, counts);
  }

  /** True only when the guarantee held; an undecided verdict is not valid. */
  public boolean valid() {
    return outcome == Outcome.VALID;
  }

  /** True when the history shows a violation. */
  public boolean failed() {
    return outcome == Outcome.INVALID;
  }

  /** True when the checker gave up without deciding. */
  public boolean inconclusive() {
    return outcome == Outcome.UNKNOWN;
  }

  /**
   * The verdict as text for a report or an assertion message: a headline, the counts, then the
   * excerpt indented.
   *
   * <pre>
   * linearizability: INVALID: key k1: #14 p2 READ k1 -> 1 cannot be linearized ...
   *   calls=120 keys=1 steps=311
   *   #12 p1 +3.000ms invoke WRITE k1 := 2
   * </pre>
   */
  public String render() {
    StringBuilder b = new StringBuilder();
    b.append(checker).append(": ").append(outcome).append(": ").append(summary);
    if (!counts.isEmpty()) {
      b.append("\n ");
      counts.forEach((name, n) -> b.append(' ').append(name).append('=').append(n));
    }
    for (String line : excerpt) {
      b.append("\n  ").append(line);
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return render();
  }
}
