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
  private long sizeBytes;

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
    keys.computeIfAbsent(kv.getKey(), k -> new KeyHistory()).append(revision, kv);
    sizeBytes += entrySize(kv.getKey(), kv);
  }

  void tombstone(Revision revision, ByteString key) {
    KeyHistory history = keys.get(key);
    if (history == null || history.latest() == null) {
      throw new IllegalStateException("tombstone on a key that is not live at " + revision);
    }
    history.append(revision, null);
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

  /** Undoes every change made at main revision {@code main} to {@code changedKeys}. */
  void rollback(long main, Iterable<ByteString> changedKeys) {
    for (ByteString key : changedKeys) {
      KeyHistory history = keys.get(key);
      if (history == null) {
        continue;
      }
      uncharge(key, history.truncateFrom(main));
      if (history.isEmpty()) {
        keys.remove(key);
      }
    }
  }

  long sizeBytes() {
    return sizeBytes;
  }

  /** Visits every key with its history, in key order (for snapshots). */
  void forEach(BiConsumer<ByteString, KeyHistory> visitor) {
    keys.forEach(visitor);
  }

  int keyCount() {
    return keys.size();
  }

  private void uncharge(ByteString key, List<KeyHistory.Entry> dropped) {
    for (KeyHistory.Entry entry : dropped) {
      sizeBytes -= entrySize(key, entry.kv());
    }
  }

  private static long entrySize(ByteString key, KeyValue kvOrNull) {
    return key.size() + (kvOrNull == null ? 0 : kvOrNull.getValue().size()) + REVISION_OVERHEAD;
  }
}
