package keel.server.v2store;

import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;

/**
 * The last {@code capacity} events (etcd keeps 1000), for {@code waitIndex} watches.
 *
 * <p>Every event has its own index and indexes are consecutive (each store change advances the
 * index by one and records one event), so the event for index {@code i} sits at
 * {@code front + (i - startIndex)} in the ring. Example, capacity 3, events 4..8 added: the ring
 * holds 6, 7, 8, startIndex = 6; a scan from 5 fails with 401 "[6/5]", a scan from 7 starts at
 * the second slot, a scan from 9 finds nothing (a future index: the caller waits).
 *
 * <p>One difference from etcd, on purpose: until the ring first overflows, an index below the
 * first recorded event is not "cleared" but scanned from the front. etcd's own history starts
 * with the membership events of the hidden "/0" tree at index 1, so on etcd a small waitIndex
 * is never cleared before 1000 events; Keel's tree has no "/0" and may start at a later index.
 * Not thread safe: {@link WatcherHub} guards it.
 */
final class EventHistory {
  private final V2Event[] ring;
  private int front;
  private int size;
  private long startIndex;
  private long lastIndex;

  EventHistory(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    this.ring = new V2Event[capacity];
  }

  int capacity() {
    return ring.length;
  }

  int size() {
    return size;
  }

  long startIndex() {
    return startIndex;
  }

  long lastIndex() {
    return lastIndex;
  }

  void add(V2Event e) {
    int back = (front + size) % ring.length;
    ring[back] = e;
    if (size == ring.length) {
      front = (front + 1) % ring.length;
    } else {
      size++;
    }
    lastIndex = e.index();
    startIndex = ring[front].index();
  }

  /** The i-th oldest event held, 0 being the oldest. */
  V2Event get(int i) {
    return ring[(front + i) % ring.length];
  }

  /**
   * The first event at or after {@code index} that a watcher of {@code key} would see, null if
   * none yet; 401 when {@code index} has been pushed out of the history. The 401 carries index 0:
   * the hub sets the store index.
   */
  V2Event scan(String key, boolean recursive, long index) {
    boolean overflowed = size == ring.length;
    if (index < startIndex && overflowed) {
      throw V2Error.EVENT_INDEX_CLEARED.toException(
          "the requested history has been cleared [" + Long.toUnsignedString(startIndex) + "/"
              + Long.toUnsignedString(index) + "]", 0);
    }
    if (size == 0 || index > lastIndex) {
      return null;
    }
    String prefix = key.endsWith("/") ? key : key + "/";
    for (int i = (int) (Math.max(index, startIndex) - startIndex); i < size; i++) {
      V2Event e = get(i);
      if (e.refresh()) {
        continue;
      }
      String k = e.node().key();
      boolean ok = k.equals(key) || (recursive && k.startsWith(prefix));
      // a deleted or expired directory ends the watches under it (etcd tests a bare prefix)
      if ((e.action().equals(V2Event.DELETE) || e.action().equals(V2Event.EXPIRE))
          && e.prevNode() != null && e.prevNode().dir()) {
        ok = ok || key.startsWith(e.prevNode().key());
      }
      if (ok) {
        return e;
      }
    }
    return null;
  }

  void clear() {
    java.util.Arrays.fill(ring, null);
    front = 0;
    size = 0;
    startIndex = 0;
    lastIndex = 0;
  }
}
