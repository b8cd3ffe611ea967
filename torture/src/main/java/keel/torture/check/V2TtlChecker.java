package keel.torture.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import keel.torture.workload.V2Event;
import keel.torture.workload.V2Stream;

/**
 * v2 TTL keys expire once, everywhere alike: every acknowledged key has exactly one expire event,
 * at the same index on every member; a member whose watch covered that index delivered it once,
 * and no member delivered it twice.
 */
public final class V2TtlChecker {
  private static final String NAME = "v2-ttl-expiry";

  private V2TtlChecker() {}

  /** @param created acknowledged creations: key to created index */
  public static Verdict check(Map<String, Long> created, List<V2Stream> streams) {
    Map<String, Long> expiredAt = new HashMap<>();
    Map<String, String> firstSeenBy = new HashMap<>();
    for (V2Stream s : streams) {
      Map<String, Integer> expires = new HashMap<>();
      for (int i = 0; i < s.events().size(); i++) {
        V2Event e = s.events().get(i);
        if (!e.action().equals("expire")) {
          continue;
        }
        if (expires.merge(e.key(), 1, Integer::sum) > 1) {
          return Verdict.violation(NAME, s.member() + " delivered the expiry of " + e.key() + " twice",
              excerpt(s, i));
        }
        Long other = expiredAt.putIfAbsent(e.key(), e.modifiedIndex());
        firstSeenBy.putIfAbsent(e.key(), s.member());
        if (other != null && other != e.modifiedIndex()) {
          return Verdict.violation(NAME, e.key() + " expired at index " + e.modifiedIndex() + " on " + s.member()
              + " but at " + other + " on " + firstSeenBy.get(e.key()), excerpt(s, i));
        }
      }
    }
    int judged = 0;
    for (var c : created.entrySet()) {
      Long index = expiredAt.get(c.getKey());
      if (index == null) {
        return Verdict.violation(NAME, c.getKey() + " (created at index " + c.getValue()
            + ") never expired on any member", List.of());
      }
      judged++;
      for (V2Stream s : streams) {
        if (s.covers(index) && s.events().stream().noneMatch(e -> e.action().equals("expire") && e.key().equals(c.getKey()))) {
          return Verdict.violation(NAME, s.member() + " never delivered the expiry of " + c.getKey() + " at index "
              + index + " although its watch covered that index", excerptAround(s, index));
        }
      }
    }
    return Verdict.ok(NAME, judged + " TTL keys expired once, at the same index on all " + streams.size() + " members");
  }

  private static List<String> excerpt(V2Stream s, int at) {
    List<String> lines = new ArrayList<>();
    for (int i = Math.max(0, at - 3); i < Math.min(s.events().size(), at + 3); i++) {
      lines.add((i == at ? "  > " : "    ") + s.member() + " " + s.events().get(i));
    }
    return lines;
  }

  private static List<String> excerptAround(V2Stream s, long index) {
    int at = 0;
    while (at < s.events().size() && s.events().get(at).modifiedIndex() < index) {
      at++;
    }
    return excerpt(s, Math.min(at, Math.max(0, s.events().size() - 1)));
  }
}
