package keel.server.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * All keys of the store in unsigned byte order, each with its {@link KeyHistory}, plus the
 * approximate storage size over every retained revision (for the space quota).
 *
 * <p>Not thread-safe: guarded by {@link MvccStore}'s lock. Iteration order is the key order only,
 * so everything observable is deterministic.
 */
final class KeyIndex {
  private final NavigableMap<ByteString, KeyHistory> keys = new TreeMap<>(KeyRange.ORDER);
  /** Kept in step with the histories by put, tombstone, compact and rollback. */
  private final RevisionLog byRevision = new RevisionLog();
  private long sizeBytes;
  /** Keys with a value at the newest revision (not deleted): etcd's keys_total gauge. */
  private long liveKeys;

  /** The live kvs in {@code range} at {@code atRev}, in key order. */
  List<KeyValue> range(KeyRange range, long atRev) {
    List<KeyValue> live = new ArrayList<>();
    for (KeyHistory history : range.slice(keys).values()) {
      KeyValue kv = history.liveAt(atRev);
      if (kv != null) {
        live.add(kv);
      }
    }
    return live;
  }

  /** The live kv of {@code key} at {@code atRev}, or null. */
  KeyValue get(ByteString key, long atRev) {
    KeyHistory history = keys.get(key);
    return history == null ? null : history.liveAt(atRev);
  }

  /** Puts {@code kv} (whose mod_revision is {@code main}) at {@code main.sub}. */
  void put(long main, int sub, KeyValue kv) {
    KeyHistory history = keys.computeIfAbsent(kv.getKey(), KeyHistory::new);
    liveKeys += history.isLive() ? 0 : 1;
    history.appendPut(main, sub, kv);
    added(main, sub, history);
  }

  /**
   * Appends one retained entry read back from a snapshot, in key order; the caller calls
   * {@link #restored} after the last. Unlike {@link #tombstone}, a history may begin with a
   * tombstone: compacting at exactly a delete's revision keeps that tombstone alone.
   */
  void restore(long main, int sub, ByteString key, KeyValue kvOrNullForTombstone) {
    KeyHistory history = keys.computeIfAbsent(key, KeyHistory::new);
    boolean wasLive = history.isLive();
    if (kvOrNullForTombstone != null) {
      history.appendPut(main, sub, kvOrNullForTombstone);
    } else {
      history.appendTombstone(main, sub);
    }
    liveKeys += (history.isLive() ? 1 : 0) - (wasLive ? 1 : 0);
    added(main, sub, history);
  }

  /** Puts the revision log in order once every entry of a snapshot was restored. */
  void restored() {
    byRevision.sort();
  }

  void tombstone(long main, int sub, ByteString key) {
    KeyHistory history = keys.get(key);
    if (history == null || !history.isLive()) {
      throw new IllegalStateException("tombstone on a key that is not live at " + main + "." + sub);
    }
    history.appendTombstone(main, sub);
    liveKeys--;
    added(main, sub, history);
  }

  private void added(long main, int sub, KeyHistory history) {
    byRevision.append(main, sub, history);
    sizeBytes += KeyHistory.chargedSize(history.key(), history.lastRecord());
  }

  /** Drops history that no read at or above {@code atRev} can see; see {@link KeyHistory}. */
  void compact(long atRev) {
    Iterator<KeyHistory> it = keys.values().iterator();
    while (it.hasNext()) {
      KeyHistory history = it.next();
      sizeBytes -= history.compact(atRev);
      if (history.isEmpty()) {
        it.remove();
      }
    }
    byRevision.compact(atRev);
  }

  /**
   * How many revisions etcd's backend would hold after a compaction at {@code compactRev} (-1: none
   * yet): every retained one but the tombstones at exactly {@code compactRev}, which this index
   * keeps (a read there sees the key deleted) and etcd's compaction removes from its backend. The
   * difference across a compaction is etcd's count of backend keys it compacted.
   */
  long backendRevisions(long compactRev) {
    long tombstones = 0;
    if (compactRev > 0) {
      for (int i = byRevision.firstAtOrAbove(compactRev);
          i < byRevision.size() && byRevision.main(i) == compactRev; i++) {
        if (byRevision.history(i).isTombstoneAt(compactRev, byRevision.sub(i))) {
          tombstones++;
        }
      }
    }
    return byRevision.size() - tombstones;
  }

  /** Undoes every change made at main revision {@code main} to {@code changedKeys}. */
  void rollback(long main, Iterable<ByteString> changedKeys) {
    for (ByteString key : changedKeys) {
      KeyHistory history = keys.get(key);
      if (history == null) {
        continue;
      }
      boolean wasLive = history.isLive();
      sizeBytes -= history.truncateFrom(main);
      liveKeys += (history.isLive() ? 1 : 0) - (wasLive ? 1 : 0);
      if (history.isEmpty()) {
        keys.remove(key);
      }
    }
    byRevision.truncateFrom(main);
  }

  /**
   * The events of keys in {@code range} with main revision in {@code [fromRev, toRev]}, in
   * revision then sub-revision order (see {@link MvccStore#events}). Stops before a new main
   * revision once {@code limit} events are collected or {@code limit * SCAN_FACTOR} revisions
   * were looked at, so a read holds the lock briefly; a revision is never split.
   */
  EventPage events(KeyRange range, long fromRev, long toRev, int limit, long compactRev) {
    List<io.etcd.jetcd.api.Event> out = new ArrayList<>();
    if (fromRev > toRev) {
      return new EventPage(out, fromRev);
    }
    if (range.kind() == KeyRange.Kind.SINGLE) {
      return singleKeyEvents(range.key(), fromRev, toRev, limit, compactRev);
    }
    long scanBudget = (long) limit * SCAN_FACTOR;
    long lastMain = -1;
    for (int i = byRevision.firstAtOrAbove(fromRev); i < byRevision.size() && byRevision.main(i) <= toRev; i++) {
      long main = byRevision.main(i);
      if (main != lastMain && (out.size() >= limit || scanBudget <= 0)) {
        return new EventPage(out, main);
      }
      lastMain = main;
      scanBudget--;
      KeyHistory history = byRevision.history(i);
      if (range.contains(history.key())) {
        addEvent(out, history.eventAt(main, byRevision.sub(i)), compactRev);
      }
    }
    return new EventPage(out, toRev + 1);
  }

  /**
   * A tombstone at exactly the compact revision stays in the index (a read there must see the key
   * deleted) but etcd's compaction removes it from the backend ({@code keyIndex.keep} drops a
   * generation's closing tombstone), so a watcher reading history from there does not get it.
   */
  private static void addEvent(List<io.etcd.jetcd.api.Event> out, io.etcd.jetcd.api.Event event, long compactRev) {
    if (event.getType() == io.etcd.jetcd.api.Event.EventType.DELETE && event.getKv().getModRevision() == compactRev) {
      return;
    }
    out.add(event);
  }

  private EventPage singleKeyEvents(ByteString key, long fromRev, long toRev, int limit, long compactRev) {
    List<io.etcd.jetcd.api.Event> out = new ArrayList<>();
    KeyHistory history = keys.get(key);
    if (history != null) {
      for (int i = history.firstAtOrAbove(fromRev); i < history.size(); i++) {
        long main = history.mainAt(i);
        if (main > toRev) {
          break;
        }
        if (out.size() >= limit) {
          return new EventPage(out, main);
        }
        addEvent(out, history.eventAtIndex(i), compactRev);
      }
    }
    return new EventPage(out, toRev + 1);
  }

  /** How many revisions a history read may look at per event it may return. */
  static final int SCAN_FACTOR = 64;

  long sizeBytes() {
    return sizeBytes;
  }

  /** Visits every key with its history, in key order (for snapshots). */
  void forEach(BiConsumer<ByteString, KeyHistory> visitor) {
    keys.forEach(visitor);
  }

  /** Compaction never changes it: it keeps every key's newest entry unless that is a deletion. */
  long liveKeys() {
    return liveKeys;
  }

  int keyCount() {
    return keys.size();
  }

}
