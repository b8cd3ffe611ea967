package keel.torture.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import keel.torture.workload.FencedWrite;
import keel.torture.workload.WatchedEvent;

/**
 * One leader at a time, judged by fencing tokens: in the committed history of the fence key, the
 * tokens of the leaders' guarded writes never go backwards (a deposed leader's write never lands
 * after its successor's), every applied write the leader was told about is there, and nothing is
 * there that no leader wrote.
 */
public final class FencingChecker {
  private static final String NAME = "election-fencing";

  private FencingChecker() {}

  public static Verdict check(List<FencedWrite> writes, CommittedHistory committed, String fenceKey, int terms) {
    List<WatchedEvent> history = committed.under(fenceKey).stream().filter(e -> e.key().equals(fenceKey)).toList();
    Set<String> attempted = new HashSet<>();
    for (FencedWrite w : writes) {
      attempted.add(w.value());
    }
    long highest = 0;
    Set<Long> tokens = new HashSet<>();
    for (int i = 0; i < history.size(); i++) {
      WatchedEvent e = history.get(i);
      if (!e.put()) {
        continue;
      }
      if (!attempted.contains(e.value())) {
        return Verdict.violation(NAME, "the fence holds " + e.value() + ", which no leader wrote",
            WatchChecker.excerpt(history, i));
      }
      long token = Long.parseLong(e.value().substring(0, e.value().indexOf(':')));
      if (token < highest) {
        return Verdict.violation(NAME, "token " + token + " wrote at revision " + e.revision()
            + " after token " + highest + ": two leaders overlapped", WatchChecker.excerpt(history, i));
      }
      highest = token;
      tokens.add(token);
    }
    for (FencedWrite w : writes) {
      if (w.applied()) {
        WatchedEvent e = committed.at(w.revision(), fenceKey);
        if (e == null || !w.value().equals(e.value())) {
          List<String> lines = new ArrayList<>();
          lines.add("    " + w);
          lines.add("    committed there: " + e);
          return Verdict.violation(NAME, "applied fenced write " + w.value() + " is not in the committed history", lines);
        }
      }
    }
    return Verdict.ok(NAME, terms + " terms, " + history.size() + " fenced writes committed by " + tokens.size()
        + " leaders, tokens never going backwards");
  }
}
