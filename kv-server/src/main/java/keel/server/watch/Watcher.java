package keel.server.watch;

import io.etcd.jetcd.api.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import keel.server.mvcc.KeyRange;

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
  private final long id;
  private final WatchSpec spec;
  private final KeyRange range;
  private final BlockingQueue<WatchUpdate> queue;
  private final Runnable onPending;
  private final WatchHub hub;
  private volatile boolean done;
  private final boolean progressNotify;

  // hub thread only
  volatile boolean synced;
  boolean registered;
  /** Synced: the smallest revision to deliver. Unsynced: the first revision to read from history. */
  long nextRevision;
  /** Whether anything was queued since the last progress tick (etcd elides the next progress). */
  boolean sentSinceTick;

  Watcher(WatchHub hub, long id, WatchSpec spec, int capacity, boolean progressNotify, Runnable onPending) {
    this.hub = hub;
    this.id = id;
    this.spec = spec;
    this.range = spec.range();
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.progressNotify = progressNotify;
    this.onPending = onPending;
    this.nextRevision = spec.startRevision();
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
    if (update != null && !synced) {
      hub.wakeUp();
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
    queue.clear();
  }

  int freeSlots() {
    return queue.remainingCapacity();
  }

  /** Hub thread: queues an update; false when the queue is full. */
  boolean offer(WatchUpdate update) {
    if (done) {
      return true;
    }
    if (!queue.offer(update)) {
      return false;
    }
    if (!update.events().isEmpty()) {
      sentSinceTick = true;
    }
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
