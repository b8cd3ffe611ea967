package keel.torture.workload;

import java.util.List;

/**
 * What one member's v2 watcher saw.
 *
 * @param member the member's name
 * @param events in arrival order
 * @param covered the index ranges {@code [from, to]} over which the watch was unbroken: every event
 *     with an index inside one must have been delivered. A range ends where the member dropped the
 *     history the watcher needed (a restart, or etcd's 401 "event index cleared").
 */
public record V2Stream(String member, List<V2Event> events, List<long[]> covered) {
  public boolean covers(long index) {
    for (long[] range : covered) {
      if (index >= range[0] && index <= range[1]) {
        return true;
      }
    }
    return false;
  }
}
