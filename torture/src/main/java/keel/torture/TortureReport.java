package keel.torture;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import keel.torture.check.Verdict;
import keel.torture.history.Call;
import keel.torture.nemesis.FaultRecord;
import org.HdrHistogram.Histogram;

/**
 * What a run did and what the checkers concluded: operations by kind and outcome, the faults
 * injected, per fault type the longest time no register operation succeeded anywhere and the
 * latency of operations begun during such faults, and every verdict. A run passes only when every
 * verdict is valid and the nemesis had no trouble injecting or healing.
 */
public final class TortureReport {
  private final TortureSettings settings;
  private final long startedNanos;
  private final long endedNanos;
  private final List<Call> calls;
  private final List<FaultRecord> faults;
  private final List<Verdict> verdicts;
  private final List<String> problems;
  private final List<String> notInjected;
  private final int watchResumes;
  private final int leases;
  private final int terms;

  TortureReport(TortureSettings settings, long startedNanos, long endedNanos, List<Call> calls,
      List<FaultRecord> faults, List<Verdict> verdicts, List<String> problems, List<String> notInjected,
      int watchResumes, int leases, int terms) {
    this.settings = settings;
    this.startedNanos = startedNanos;
    this.endedNanos = endedNanos;
    this.calls = calls;
    this.faults = faults;
    this.verdicts = verdicts;
    this.problems = problems;
    this.notInjected = notInjected;
    this.watchResumes = watchResumes;
    this.leases = leases;
    this.terms = terms;
  }

  public boolean passed() {
    return problems.isEmpty() && verdicts.stream().allMatch(Verdict::valid);
  }

  public List<Verdict> verdicts() {
    return verdicts;
  }

  /** The verdicts that are not valid. */
  public List<Verdict> failures() {
    return verdicts.stream().filter(v -> !v.valid()).toList();
  }

  public List<String> problems() {
    return problems;
  }

  public List<FaultRecord> faults() {
    return faults;
  }

  /** The fault kinds injected, or tried and refused (a leader transfer may time out under load). */
  public java.util.Set<String> triedKinds() {
    return keel.torture.nemesis.Nemesis.triedKinds(faults, notInjected);
  }

  public List<Call> calls() {
    return calls;
  }

  /** The fault timeline, a line per fault, times in seconds from the start of the run. */
  public String timeline() {
    StringBuilder b = new StringBuilder();
    for (FaultRecord f : faults) {
      b.append(String.format("%8.3f  %-9s %-16s healed %8.3f  converged %8.3f%s%n", seconds(f.injectedNanos()),
          f.type(), f.target(), seconds(f.healedNanos()), seconds(f.convergedNanos()),
          f.effect().isEmpty() ? "" : "  (" + f.effect() + ")"));
    }
    return b.toString();
  }

  /**
   * The longest stretch overlapping a fault of this type in which no linearizable register
   * operation (get, put, txn) succeeded on any member, in ms. Serializable gets do not count: a
   * member answers them from its own store even when cut off from the others.
   */
  long longestUnavailableMillis(String type) {
    long[] oks = calls.stream()
        .filter(c -> c.isOk() && c.op().kind() != keel.torture.history.Op.Kind.SERIAL_READ) // always local
        .mapToLong(Call::completeNanos).sorted().toArray();
    long longest = 0;
    for (FaultRecord f : faults) {
      if (!f.type().equals(type)) {
        continue;
      }
      for (int i = 0; i + 1 < oks.length; i++) {
        if (oks[i + 1] >= f.injectedNanos() && oks[i] <= f.convergedNanos()) {
          longest = Math.max(longest, oks[i + 1] - oks[i]);
        }
      }
    }
    return longest / 1_000_000;
  }

  public String render() {
    StringBuilder b = new StringBuilder();
    b.append("# Keel torture run: ").append(passed() ? "PASSED" : "FAILED").append("\n\n");
    b.append("- seed ").append(settings.seed()).append(", ").append(settings.members()).append(" members, ")
        .append(String.format("%.0f s", seconds(endedNanos))).append(" under faults ")
        .append(settings.faults()).append(settings.breaks().isEmpty() ? "" : ", BROKEN ON PURPOSE: " + settings.breaks())
        .append("\n- election timeout ").append(settings.electionTimeout().toMillis()).append(" ms, lease TTL ")
        .append(settings.leaseTtlSeconds()).append(" s, election session TTL ").append(settings.sessionTtl().toSeconds())
        .append(" s\n- ").append(settings.registers().processes()).append(" register clients on ")
        .append(settings.members()).append(" members, ").append(leases).append(" leases, ").append(terms)
        .append(" election terms, watch streams resumed ").append(watchResumes).append(" times\n\n");

    b.append("## Operations\n\n| operation | ok | fail | info (unknown) |\n|---|---|---|---|\n");
    Map<String, long[]> byKind = new TreeMap<>();
    for (Call c : calls) {
      long[] n = byKind.computeIfAbsent(c.op().kind().name().toLowerCase(), k -> new long[3]);
      n[c.isOk() ? 0 : c.isFail() ? 1 : 2]++;
    }
    byKind.forEach((kind, n) -> b.append("| ").append(kind).append(" | ").append(n[0]).append(" | ").append(n[1])
        .append(" | ").append(n[2]).append(" |\n"));

    b.append("\n## Faults\n\n| fault | injected | longest with no linearizable operation succeeding | latency of ops begun during it p50 / p99 / max |\n|---|---|---|---|\n");
    Map<String, Integer> counts = new TreeMap<>();
    faults.forEach(f -> counts.merge(f.type(), 1, Integer::sum));
    for (var e : counts.entrySet()) {
      Histogram h = new Histogram(3);
      for (Call c : calls) {
        if (c.isOk() && during(c.invokeNanos(), e.getKey())) {
          h.recordValue(Math.max(1, (c.completeNanos() - c.invokeNanos()) / 1000));
        }
      }
      b.append("| ").append(e.getKey()).append(" | ").append(e.getValue()).append(" | ")
          .append(longestUnavailableMillis(e.getKey())).append(" ms | ")
          .append(h.getTotalCount() == 0 ? "-" : String.format("%.1f / %.1f / %.1f ms",
              h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0))
          .append(" |\n");
    }
    if (!notInjected.isEmpty()) {
      b.append("\nNot injected (").append(notInjected.size()).append("; not a verdict):\n\n");
      notInjected.forEach(n -> b.append("- ").append(n).append('\n'));
    }
    b.append("\nTimeline (s from start):\n\n```\n").append(timeline()).append("```\n");

    b.append("\n## Checkers\n\n");
    for (Verdict v : verdicts) {
      b.append("- **").append(v.checker()).append("**: ").append(v.outcome()).append(": ").append(v.summary()).append('\n');
      if (!v.excerpt().isEmpty()) {
        b.append("\n```\n");
        v.excerpt().forEach(line -> b.append(line).append('\n'));
        b.append("```\n\n");
      }
    }
    if (!problems.isEmpty()) {
      b.append("\n## Problems\n\n");
      problems.forEach(p -> b.append("- ").append(p).append('\n'));
    }
    return b.toString();
  }

  private boolean during(long nanos, String type) {
    for (FaultRecord f : faults) {
      if (f.type().equals(type) && nanos >= f.injectedNanos() && nanos <= f.healedNanos()) {
        return true;
      }
    }
    return false;
  }

  private double seconds(long nanos) {
    return (nanos - startedNanos) / 1e9;
  }

  /** The failed verdicts and problems in a few lines, for an exception message. */
  public String failureSummary() {
    List<String> lines = new ArrayList<>();
    failures().forEach(v -> lines.add(v.render()));
    problems.forEach(p -> lines.add("problem: " + p));
    return String.join("\n", lines);
  }
}
