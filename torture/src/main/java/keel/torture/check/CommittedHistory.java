package keel.torture.check;

import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import keel.torture.workload.WatchRecorder;
import keel.torture.workload.WatchedEvent;

/**
 * The final MVCC history after healing: every event from a start revision to now, as one healthy
 * member's watch replays it (nothing is compacted during a run). The watch, write and lease
 * checkers judge what clients saw against it.
 */
public final class CommittedHistory {
  private final List<WatchedEvent> events;
  private final Map<String, WatchedEvent> byRevisionAndKey = new HashMap<>();

  public CommittedHistory(List<WatchedEvent> events) {
    this.events = List.copyOf(events);
    for (WatchedEvent e : events) {
      byRevisionAndKey.put(e.revision() + " " + e.key(), e);
    }
  }

  /**
   * Replays every event from {@code fromRevision} through member {@code client} until the
   * revision {@code toRevision} (the store's revision once the workloads stopped) has arrived.
   */
  public static CommittedHistory read(Client client, long fromRevision, long toRevision, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (WatchRecorder all = new WatchRecorder("committed", client, "", fromRevision, e -> {}).start()) {
      while (all.nextRevision() <= toRevision) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("the committed history stopped at revision " + (all.nextRevision() - 1)
              + " of " + toRevision + " after " + timeout);
        }
        TimeUnit.MILLISECONDS.sleep(20);
      }
      List<WatchedEvent> events = new ArrayList<>();
      for (WatchedEvent e : all.events()) {
        if (e.revision() <= toRevision) {
          events.add(e);
        }
      }
      return new CommittedHistory(events);
    }
  }

  public List<WatchedEvent> events() {
    return events;
  }

  /** The events on keys under {@code prefix}, in commit order. */
  public List<WatchedEvent> under(String prefix) {
    return events.stream().filter(e -> e.key().startsWith(prefix)).toList();
  }

  /** The event that changed {@code key} at {@code revision}, or {@code null}. */
  public WatchedEvent at(long revision, String key) {
    return byRevisionAndKey.get(revision + " " + key);
  }
}
