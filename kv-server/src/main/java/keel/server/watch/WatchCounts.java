package keel.server.watch;

import java.util.concurrent.atomic.LongAdder;

/**
 * One member's watches in etcd's numbers ({@code mvcc/metrics.go}, {@code watchable_store.go}):
 * watch streams open, watchers registered and how many of them are behind, events queued for
 * streams and events the streams took. The metrics read them when scraped; the hub, its watchers
 * and the streams only add, so this package needs nothing from Prometheus.
 *
 * <p>Events are counted as etcd counts them: queued when the hub hands them to a watcher
 * ({@code pending_events_total} goes up), taken when the watcher's stream takes them to send, or
 * drops them because the watcher was canceled ({@code pending_events_total} goes down,
 * {@code events_total} up, as etcd's {@code ReportEventReceived}).
 */
public final class WatchCounts {
  private final LongAdder streams = new LongAdder();
  private final LongAdder pendingEvents = new LongAdder();
  private final LongAdder takenEvents = new LongAdder();
  /** Written by the hub thread after each round; read by anyone. */
  private volatile int watchers;
  private volatile int slowWatchers;

  /** A watch stream opened (etcd's {@code NewWatchStream}). */
  public void streamOpened() {
    streams.increment();
  }

  /** A watch stream closed; once per {@link #streamOpened()}. */
  public void streamClosed() {
    streams.decrement();
  }

  /** Watch streams open now. */
  public long streams() {
    return streams.sum();
  }

  /** Watchers registered with the hub now, synced or not. */
  public long watchers() {
    return watchers;
  }

  /**
   * Watchers behind the hub now: etcd's unsynced group and victims, which Keel keeps as one
   * group (a watcher starting in the past, or one whose queue was full when a write came).
   */
  public long slowWatchers() {
    return slowWatchers;
  }

  /** Events queued for watchers' streams and not taken yet. */
  public long pendingEvents() {
    return pendingEvents.sum();
  }

  /** Events the streams took from their watchers since the member started. */
  public long takenEvents() {
    return takenEvents.sum();
  }

  /** Hub thread: the groups' sizes after a round. */
  void groups(int synced, int unsynced) {
    watchers = synced + unsynced;
    slowWatchers = unsynced;
  }

  void queued(int events) {
    pendingEvents.add(events);
  }

  /** Undoes {@link #queued} for events that did not fit in the watcher's queue after all. */
  void notQueued(int events) {
    pendingEvents.add(-events);
  }

  void taken(int events) {
    pendingEvents.add(-events);
    takenEvents.add(events);
  }
}
