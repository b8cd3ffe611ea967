package keel.torture.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import keel.torture.workload.WatchedEvent;

/**
 * A watch stream against the committed history: every event it delivered must be the committed
 * event at that revision with the same value and the right previous value, in commit order, with
 * no committed event left out (no gap) and none delivered twice, across every time the stream was
 * resumed. A stream may end early (its member was down at the end); what it delivered must still
 * be an unbroken run of the committed history from where it started.
 */
public final class WatchChecker {
  private static final String NAME = "watch";

  private WatchChecker() {}

  /**
   * @param stream what one watcher received, in arrival order
   * @param prefix the prefix it watched
   * @param fromRevision the revision it started from
   */
  public static Verdict check(String watcher, List<WatchedEvent> stream, CommittedHistory committed, String prefix,
      long fromRevision) {
    List<WatchedEvent> expected = committed.under(prefix).stream().filter(e -> e.revision() >= fromRevision).toList();
    Verdict prevKvs = checkPrevValues(committed.under(prefix));
    if (!prevKvs.valid()) {
      return prevKvs;
    }
    for (int i = 0; i < stream.size(); i++) {
      WatchedEvent got = stream.get(i);
      if (i >= expected.size()) {
        return violation(watcher, "delivered event " + i + " (" + got + ") beyond the committed history's "
            + expected.size() + " events", stream, i, expected, i);
      }
      WatchedEvent want = expected.get(i);
      if (!same(got, want)) {
        WatchedEvent committedThere = committed.at(got.revision(), got.key());
        String why;
        if (committedThere == null) {
          why = "event " + i + " (" + got + ") was never committed";
        } else if (!same(got, committedThere)) {
          why = "event " + i + " (" + got + ") differs from the committed " + committedThere;
        } else if (got.revision() > want.revision()) {
          why = "gap: event " + i + " is " + got + " but the committed history has " + want + " before it";
        } else {
          why = "duplicate or out of order: event " + i + " is " + got + " where " + want + " was due";
        }
        return violation(watcher, why, stream, i, expected, i);
      }
    }
    return Verdict.ok(NAME, watcher + ": " + stream.size() + " events from revision " + fromRevision
        + ", in order, no gap, no duplicate, all committed, prev values right");
  }

  /** Within the committed history itself: each event's previous value is the key's value before it. */
  static Verdict checkPrevValues(List<WatchedEvent> events) {
    Map<String, String> current = new HashMap<>();
    Map<String, Boolean> known = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      WatchedEvent e = events.get(i);
      if (known.containsKey(e.key()) && !Objects.equals(current.get(e.key()), e.prevValue())) {
        return Verdict.violation(NAME, "committed history: " + e + " carries previous value " + e.prevValue()
            + " but the key held " + current.get(e.key()), excerpt(events, i));
      }
      known.put(e.key(), true);
      current.put(e.key(), e.put() ? e.value() : null);
    }
    return Verdict.ok(NAME, "prev values consistent");
  }

  private static boolean same(WatchedEvent a, WatchedEvent b) {
    return a.revision() == b.revision() && a.put() == b.put() && a.key().equals(b.key())
        && Objects.equals(a.value(), b.value()) && Objects.equals(a.prevValue(), b.prevValue());
  }

  private static Verdict violation(String watcher, String why, List<WatchedEvent> got, int at,
      List<WatchedEvent> expected, int expectedAt) {
    List<String> lines = new ArrayList<>();
    lines.add("watcher " + watcher + " received:");
    lines.addAll(excerpt(got, at));
    lines.add("committed history:");
    lines.addAll(excerpt(expected, expectedAt));
    return Verdict.violation(NAME, watcher + ": " + why, lines);
  }

  static List<String> excerpt(List<WatchedEvent> events, int at) {
    List<String> lines = new ArrayList<>();
    for (int i = Math.max(0, at - 3); i < Math.min(events.size(), at + 4); i++) {
      lines.add((i == at ? "  > " : "    ") + "#" + i + " " + events.get(i));
    }
    return lines;
  }
}
