package keel.server.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
  /**
   * Bytes charged per retained revision on top of its key and value: etcd stores a 17-byte
   * revision key plus the marshalled KeyValue (four varint fields) per revision, and its index
   * entry; 64 is a round figure for that.
   */
  static final long REVISION_OVERHEAD = 64;

  private final NavigableMap<ByteString, KeyHistory> keys = new TreeMap<>(KeyRange.ORDER);
  /**
   * Every retained revision with the key written at it, in revision order: etcd's backend is
   * keyed by revision the same way, and watchers catching up read it in that order. Kept in step
   * with the histories by put, tombstone, compact and rollback.
   */
  private final NavigableMap<Revision, ByteString> byRevision = new TreeMap<>();
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

  void put(Revision revision, KeyValue kv) {
    KeyHistory history = keys.computeIfAbsent(kv.getKey(), k -> new KeyHistory());
    liveKeys += history.latest() == null ? 1 : 0;
    history.append(revision, kv);
    byRevision.put(revision, kv.getKey());
    sizeBytes += entrySize(kv.getKey(), kv);
  }

  /**
   * Appends one retained entry read back from a snapshot. Unlike {@link #tombstone}, a history may
   * begin with a tombstone: compacting at exactly a delete's revision keeps that tombstone alone.
   */
  void restore(Revision revision, ByteString key, KeyValue kvOrNullForTombstone) {
    if (kvOrNullForTombstone != null) {
      put(revision, kvOrNullForTombstone);
      return;
    }
    KeyHistory history = keys.computeIfAbsent(key, k -> new KeyHistory());
    liveKeys -= history.latest() != null ? 1 : 0;
    history.append(revision, null);
    byRevision.put(revision, key);
    sizeBytes += entrySize(key, null);
  }

  void tombstone(Revision revision, ByteString key) {
    KeyHistory history = keys.get(key);
    if (history == null || history.latest() == null) {
      throw new IllegalStateException("tombstone on a key that is not live at " + revision);
    }
    history.append(revision, null);
    liveKeys--;
    byRevision.put(revision, key);
    sizeBytes += entrySize(key, null);
  }

  /** Drops history that no read at or above {@code atRev} can see; see {@link KeyHistory}. */
  void compact(long atRev) {
    Iterator<Map.Entry<ByteString, KeyHistory>> it = keys.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<ByteString, KeyHistory> e = it.next();
      uncharge(e.getKey(), e.getValue().compact(atRev));
      if (e.getValue().isEmpty()) {
        it.remove();
      }
    }
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
      for (Map.Entry<Revision, ByteString> e : byRevision.subMap(
          new Revision(compactRev, 0), true, new Revision(compactRev, Long.MAX_VALUE), true).entrySet()) {
        KeyHistory history = keys.get(e.getValue());
        if (history != null && history.isTombstoneAt(e.getKey())) {
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
      boolean wasLive = history.latest() != null;
      uncharge(key, history.truncateFrom(main));
      liveKeys += (history.latest() != null ? 1 : 0) - (wasLive ? 1 : 0);
      if (history.isEmpty()) {
        keys.remove(key);
      }
    }
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
    for (Map.Entry<Revision, ByteString> e : byRevision.subMap(
        new Revision(fromRev, 0), true, new Revision(toRev, Long.MAX_VALUE), true).entrySet()) {
      long main = e.getKey().main();
      if (main != lastMain && (out.size() >= limit || scanBudget <= 0)) {
        return new EventPage(out, main);
      }
      lastMain = main;
      scanBudget--;
      if (range.contains(e.getValue())) {
        addEvent(out, keys.get(e.getValue()).eventAt(e.getKey(), e.getValue()), compactRev);
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
      for (KeyHistory.Entry entry : history.entries()) {
        long main = entry.revision().main();
        if (main < fromRev) {
          continue;
        }
        if (main > toRev) {
          break;
        }
        if (out.size() >= limit) {
          return new EventPage(out, main);
        }
        addEvent(out, history.eventAt(entry.revision(), key), compactRev);
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

  private void uncharge(ByteString key, List<KeyHistory.Entry> dropped) {
    for (KeyHistory.Entry entry : dropped) {
      byRevision.remove(entry.revision());
      sizeBytes -= entrySize(key, entry.kv());
    }
  }

  private static long entrySize(ByteString key, KeyValue kvOrNull) {
    return key.size() + (kvOrNull == null ? 0 : kvOrNull.getValue().size()) + REVISION_OVERHEAD;
  }
}
