package keel.torture.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The leader-gated process (the agent's {@code --gate-cmd}) never runs on two nodes at once. Each
 * gated process writes {@code start}, a {@code beat} every 20 ms and, when stopped politely, {@code
 * stop}, with CLOCK_MONOTONIC times (torture's {@code gated-beat.py}); a process killed by SIGKILL
 * ends at its last beat, so an overlap shorter than a beat interval can go unseen.
 *
 * <p>A process is running from its start to its end, except while its whole node was frozen
 * (SIGSTOP): a gap of more than {@value #GAP_MILLIS} ms between two records splits its run into
 * spells. The spell after a freeze is the stale holder woken up: its agent's fence watchdog must
 * kill it at once, because its successor may already run. Such a spell, when it is the process's
 * last and lasts at most {@value #WOKEN_MILLIS} ms, is counted, not judged (no agent can act before
 * its own process is thawed too; ClusterScenarioIT checks that nothing it answers then reaches a
 * client). Any other two spells of different processes that overlap are a violation.
 */
public final class GatedProcessChecker {
  private static final String NAME = "gated-process";
  static final long GAP_MILLIS = 1000;
  static final long WOKEN_MILLIS = 500;

  private GatedProcessChecker() {}

  /** One record line of a gated process. */
  public record GateRecord(String kind, long nanos, String node, long pid) {
    static GateRecord parse(String line) {
      String[] f = line.split(" ");
      if (f.length != 4) {
        return null; // a line cut short by a kill
      }
      try {
        return new GateRecord(f[0], Long.parseLong(f[1]), f[2], Long.parseLong(f[3]));
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }

  /** One stretch of time a gated process ran without a freeze. */
  record Spell(String node, long pid, long from, long to, boolean woken, boolean last) {
    boolean sameProcess(Spell other) {
      return pid == other.pid && node.equals(other.node);
    }

    boolean overlaps(Spell other) {
      return from < other.to && other.from < to;
    }

    boolean exempt() {
      return woken && last && to - from <= WOKEN_MILLIS * 1_000_000;
    }

    String describe(long origin) {
      return String.format("%s pid %d ran %.3f .. %.3f s%s", node, pid, (from - origin) / 1e9, (to - origin) / 1e9,
          woken ? " (woken from a freeze)" : "");
    }
  }

  public static List<GateRecord> read(Path file) throws IOException {
    List<GateRecord> records = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        GateRecord r = GateRecord.parse(line);
        if (r != null) {
          records.add(r);
        }
      }
    }
    return records;
  }

  /** @param origin the run's start (System.nanoTime()), for readable times in the verdict */
  public static Verdict check(List<GateRecord> records, long origin) {
    // One run per process: a node and a pid (pids are unique only while a process lives).
    Map<String, List<GateRecord>> byPid = new LinkedHashMap<>();
    records.stream().sorted(Comparator.comparingLong(GateRecord::nanos))
        .forEach(r -> byPid.computeIfAbsent(r.node() + "/" + r.pid(), p -> new ArrayList<>()).add(r));
    if (byPid.isEmpty()) {
      return Verdict.violation(NAME, "no gated process ran: nothing to judge (did the agents start one?)", List.of());
    }
    List<Spell> spells = new ArrayList<>();
    byPid.values().forEach(run -> spells.addAll(spells(run)));
    spells.sort(Comparator.comparingLong(Spell::from));
    long woken = 0;
    long longestWoken = 0;
    for (int i = 0; i < spells.size(); i++) {
      Spell a = spells.get(i);
      if (a.woken()) {
        woken++;
        longestWoken = Math.max(longestWoken, a.to() - a.from());
      }
      for (int j = i + 1; j < spells.size() && spells.get(j).from() < a.to(); j++) {
        Spell b = spells.get(j);
        if (!a.sameProcess(b) && a.overlaps(b) && !a.exempt() && !b.exempt()) {
          long overlap = Math.min(a.to(), b.to()) - Math.max(a.from(), b.from());
          return Verdict.violation(NAME, String.format("two gated processes ran at once for %.0f ms: %s and %s",
              overlap / 1e6, a.node(), b.node()), List.of(a.describe(origin), b.describe(origin)));
        }
      }
    }
    long longest = spells.stream().mapToLong(s -> s.to() - s.from()).max().orElse(0);
    if (longest < 1_000_000_000L) {
      return Verdict.violation(NAME, String.format("no gated process ran for a second (%d runs, the longest %.0f ms):"
          + " nothing to judge; see the agents' gate.log", byPid.size(), longest / 1e6), List.of());
    }
    long nodes = byPid.values().stream().map(r -> r.get(0).node()).distinct().count();
    long running = spells.stream().mapToLong(s -> s.to() - s.from()).sum();
    long span = spells.stream().mapToLong(Spell::to).max().orElse(0) - spells.get(0).from();
    return Verdict.ok(NAME, String.format("%d runs on %d nodes, never two at once, one running %.0f%% of the time;"
        + " %d woken from a freeze, the last beat of each at most %.0f ms after waking", byPid.size(), nodes, 100.0 * running / Math.max(1, span),
        woken, longestWoken / 1e6));
  }

  private static List<Spell> spells(List<GateRecord> run) {
    List<Spell> spells = new ArrayList<>();
    GateRecord first = run.get(0);
    long from = first.nanos();
    long to = from;
    boolean woken = false;
    for (GateRecord r : run) {
      if (r.nanos() - to > GAP_MILLIS * 1_000_000) {
        spells.add(new Spell(first.node(), first.pid(), from, to, woken, false));
        from = r.nanos();
        woken = true;
      }
      to = r.nanos();
    }
    spells.add(new Spell(first.node(), first.pid(), from, to, woken, true));
    return spells;
  }
}
