package keel.server.watch;

import io.etcd.jetcd.api.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import keel.server.mvcc.KeyRange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch: what it asked for ({@link WatchSpec}) and a bounded queue of {@link WatchUpdate}s
 * between the hub (the only producer) and the watcher's stream (the only consumer).
 *
 * <p>The hub keeps the watcher in one of two groups, as etcd's watchable store does:
 * <em>synced</em> (it has everything up to the hub's fanned-out revision, new writes are offered
 * to it as they come) or <em>unsynced</em> (its start revision is in the past, or its queue was
 * full when a write came: it reads MVCC history from {@link #nextRevision} on, a page at a time,
 * when its queue has room, and rejoins the synced group once it has reached the hub). Fields other
 * than the queue and {@link #done} belong to the hub thread.
 */
public final class Watcher {
  private static final Logger LOG = LoggerFactory.getLogger(Watcher.class);

  private final long id;
  private final WatchSpec spec;
  private final KeyRange range;
  private final BlockingQueue<WatchUpdate> queue;
  private final Runnable onPending;
  private final WatchHub hub;
  private final WatchCounts counts;
  private volatile boolean done;
  private final boolean progressNotify;
  /** Test-only (torture self-test): the ordinal of the event to drop, 0 for none. */
  private final long droppedEvent;

  // hub thread only
  volatile boolean synced;
  boolean registered;
  /** Synced: the smallest revision to deliver. Unsynced: the first revision to read from history. */
  long nextRevision;
  /** Whether anything was queued since the last progress tick (etcd elides the next progress). */
  boolean sentSinceTick;
  /** Events queued for the stream so far (counted only while {@link #droppedEvent} is on). */
  private long eventsQueued;

  Watcher(WatchHub hub, long id, WatchSpec spec, int capacity, boolean progressNotify, Runnable onPending,
      long droppedEvent) {
    this.hub = hub;
    this.counts = hub.counts();
    this.id = id;
    this.spec = spec;
    this.range = spec.range();
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.progressNotify = progressNotify;
    this.onPending = onPending;
    this.nextRevision = spec.startRevision();
    this.droppedEvent = droppedEvent;
  }

  /** The id the stream gave it; opaque to the hub. */
  public long id() {
    return id;
  }

  public WatchSpec spec() {
    return spec;
  }

  boolean progressNotify() {
    return progressNotify;
  }

  /** The next update for the stream, or null. Taking one may let the hub catch the watcher up. */
  public WatchUpdate poll() {
    WatchUpdate update = queue.poll();
    if (update != null) {
      counts.taken(update.events().size());
      if (!synced) {
        hub.wakeUp();
      }
    }
    return update;
  }

  public boolean hasPending() {
    return !queue.isEmpty();
  }

  /** Canceled, or ended by a compaction: no more updates. */
  public boolean isDone() {
    return done;
  }

  void markDone() {
    done = true;
    discardQueued();
  }

  /** Empties the queue of a canceled watcher; its events count as taken, as etcd's do. */
  private void discardQueued() {
    for (WatchUpdate update; (update = queue.poll()) != null; ) {
      counts.taken(update.events().size());
    }
  }

  /**
   * Queues {@code update} if there is room, counting its events as pending. A cancel may come
   * between the hub's check of {@link #done} and the offer: the update is then discarded here.
   */
  private boolean enqueue(WatchUpdate update) {
    int events = update.events().size();
    counts.queued(events);
    if (!queue.offer(update)) {
      counts.notQueued(events);
      return false;
    }
    if (done) {
      discardQueued();
    }
    return true;
  }

  int freeSlots() {
    return queue.remainingCapacity();
  }

  /** Hub thread: queues an update; false when the queue is full. */
  boolean offer(WatchUpdate update) {
    if (done) {
      return true;
    }
    if (droppedEvent > 0 && !update.events().isEmpty()) {
      return offerDroppingOne(update);
    }
    if (!enqueue(update)) {
      return false;
    }
    if (!update.events().isEmpty()) {
      sentSinceTick = true;
    }
    onPending.run();
    return true;
  }

  /**
   * Exists only for the torture checkers' self-test ({@code keel.test.break=drop-watch-event}):
   * queues {@code update} without the {@link #droppedEvent}-th event of this watcher's stream.
   * Counted only when the update is taken (a full queue retries the same events from history),
   * so exactly one event goes missing; an update left empty is not queued at all (an empty
   * update would read as a progress notification).
   */
  private boolean offerDroppingOne(WatchUpdate update) {
    List<Event> events = update.events();
    long before = eventsQueued;
    WatchUpdate kept = update;
    if (before < droppedEvent && droppedEvent <= before + events.size()) {
      List<Event> rest = new ArrayList<>(events);
      Event dropped = rest.remove((int) (droppedEvent - before - 1));
      LOG.warn("keel.test.break=drop-watch-event: watcher {} drops event {} of its stream ({} at revision {})", id,
          droppedEvent, dropped.getType(), dropped.getKv().getModRevision());
      if (rest.isEmpty()) {
        eventsQueued = before + events.size();
        return true;
      }
      kept = new WatchUpdate(update.revision(), rest, update.compactRevision());
    }
    if (!enqueue(kept)) {
      return false;
    }
    eventsQueued = before + events.size();
    sentSinceTick = true;
    onPending.run();
    return true;
  }

  boolean covers(com.google.protobuf.ByteString key) {
    return range.contains(key);
  }

  /**
   * The events of {@code events} this watcher wants: in its range, at or after
   * {@code fromRevision}, past its filters, prev_kv stripped unless asked for. {@code stripped}
   * caches the prev_kv-less copies for the other watchers of the same write.
   */
  List<Event> select(List<Event> events, long fromRevision, Event[] stripped) {
    List<Event> out = null;
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if (e.getKv().getModRevision() < fromRevision || !range.contains(e.getKv().getKey())
          || !spec.accepts(e)) {
        continue;
      }
      if (out == null) {
        out = new ArrayList<>(2);
      }
      if (spec.prevKv() || !e.hasPrevKv()) {
        out.add(e);
      } else {
        if (stripped[i] == null) {
          stripped[i] = e.toBuilder().clearPrevKv().build();
        }
        out.add(stripped[i]);
      }
    }
    return out == null ? List.of() : out;
  }
}
