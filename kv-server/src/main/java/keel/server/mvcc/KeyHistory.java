package keel.server.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every retained revision of one key, oldest first: a put carries the {@link KeyValue} written
 * at that revision, a tombstone (a delete) carries none. Each is held as one {@link
 * RevisionRecord}; a key with one revision (most keys) holds it without an array. etcd keeps the
 * same information as a list of generations in {@code key_index.go}; a flat list with tombstones
 * in it is equivalent and simpler to compact.
 *
 * <p>Worked example: put(2.0) put(3.0) delete(4.0) put(5.0) delete(6.0) on key "foo" gives
 *
 * <pre>
 *   2.0 put v1 | 3.0 put v2 | 4.0 tombstone | 5.0 put v1 | 6.0 tombstone
 * </pre>
 *
 * Reading at revision r returns the newest entry with main {@code <= r} if it is a put: at 3 that
 * is v2, at 4 nothing (deleted), at 5 the new v1 (version restarted after the delete), at 1
 * nothing (not yet created).
 *
 * <p>Compacting at r keeps every entry with main {@code > r} plus the newest entry with main
 * {@code <= r}, unless that one is a tombstone older than r (etcd drops a generation whose
 * tombstone is below r, but keeps a tombstone at exactly r so a watcher starting at the compact
 * revision still sees that delete). On the example: compact(3) leaves {@code 3.0 | 4.0t | 5.0 |
 * 6.0t}; compact(4) leaves {@code 4.0t | 5.0 | 6.0t}; compact(5) leaves {@code 5.0 | 6.0t};
 * compact(6) leaves {@code 6.0t}; compact(7) leaves nothing and the key is dropped from the index.
 *
 * <p>Not thread-safe: guarded by {@link MvccStore}'s lock.
 */
final class KeyHistory {
  /** One retained revision of the key, read out of its record; {@code kv == null} marks a tombstone. */
  record Entry(Revision revision, KeyValue kv) {
    boolean isTombstone() {
      return kv == null;
    }
  }

  /**
   * Bytes charged per retained revision on top of its key and value: etcd stores a 17-byte
   * revision key plus the marshalled KeyValue (four varint fields) per revision, and its index
   * entry; 64 is a round figure for that.
   */
  static final long REVISION_OVERHEAD = 64;

  private final ByteString key;
  /** The records, oldest first: the one record itself while there is one, else a byte[][]. */
  private Object records;
  private int size;

  KeyHistory(ByteString key) {
    this.key = key;
  }

  ByteString key() {
    return key;
  }

  /** The live value at {@code atRev}, or null when the key does not exist at that revision. */
  KeyValue liveAt(long atRev) {
    int i = newestAtOrBelow(atRev);
    return i < 0 ? null : RevisionRecord.toKeyValue(record(i), key);
  }

  /** The live value at the newest revision, or null when the key is deleted. */
  KeyValue latest() {
    return size == 0 ? null : RevisionRecord.toKeyValue(record(size - 1), key);
  }

  /** Whether the key has a value at the newest revision (it is not deleted). */
  boolean isLive() {
    return size > 0 && !RevisionRecord.isTombstone(record(size - 1));
  }

  /** Appends a put of {@code kv} (whose mod_revision is {@code main}) at {@code main.sub}. */
  void appendPut(long main, int sub, KeyValue kv) {
    append(main, sub, RevisionRecord.put(main, sub, kv));
  }

  void appendTombstone(long main, int sub) {
    append(main, sub, RevisionRecord.tombstone(main, sub));
  }

  private void append(long main, int sub, byte[] record) {
    if (size > 0 && RevisionRecord.compareTo(record(size - 1), main, sub) >= 0) {
      throw new IllegalStateException("revision " + main + "." + sub + " not after "
          + RevisionRecord.revision(record(size - 1)));
    }
    if (size == 0) {
      records = record;
    } else {
      byte[][] many;
      if (size == 1) {
        many = new byte[4][];
        many[0] = (byte[]) records;
      } else {
        many = (byte[][]) records;
        if (many.length == size) {
          many = Arrays.copyOf(many, size + (size >> 1));
        }
      }
      many[size] = record;
      records = many;
    }
    size++;
  }

  /**
   * Drops history below {@code atRev} as described in the class comment.
   *
   * @return the storage size the dropped entries were charged ({@link #chargedSize})
   */
  long compact(long atRev) {
    int keepFrom = newestAtOrBelow(atRev);
    if (keepFrom < 0) {
      return 0;
    }
    byte[] newest = record(keepFrom);
    if (RevisionRecord.isTombstone(newest) && RevisionRecord.main(newest) < atRev) {
      keepFrom++;
    }
    return removeRange(0, keepFrom);
  }

  /**
   * Removes the entries written at main revision {@code main} or later (a rolled back txn).
   *
   * @return the storage size the removed entries were charged
   */
  long truncateFrom(long main) {
    int from = size;
    while (from > 0 && RevisionRecord.main(record(from - 1)) >= main) {
      from--;
    }
    return removeRange(from, size);
  }

  /**
   * The watch event written at {@code main.sub}, or null when no entry has that revision: a PUT
   * with the kv, or a DELETE whose kv holds the key and the deletion's mod_revision (etcd's
   * kvsToEvents). prev_kv is the entry before it when that one is a put still retained; compaction
   * may have dropped it, and then there is none, as etcd's range at {@code mod_revision - 1} fails.
   */
  Event eventAt(long main, int sub) {
    int i = indexOf(main, sub);
    return i < 0 ? null : eventAtIndex(i);
  }

  /** The watch event of the entry at index {@code i}, oldest first, as {@link #eventAt}. */
  Event eventAtIndex(int i) {
    byte[] record = record(i);
    Event.Builder event = Event.newBuilder();
    if (RevisionRecord.isTombstone(record)) {
      event.setType(Event.EventType.DELETE)
          .setKv(KeyValue.newBuilder().setKey(key).setModRevision(RevisionRecord.main(record)));
    } else {
      event.setType(Event.EventType.PUT).setKv(RevisionRecord.toKeyValue(record, key));
    }
    if (i > 0 && !RevisionRecord.isTombstone(record(i - 1))) {
      event.setPrevKv(RevisionRecord.toKeyValue(record(i - 1), key));
    }
    return event.build();
  }

  /** Whether the entry with exactly {@code main.sub} is a tombstone (false when there is none). */
  boolean isTombstoneAt(long main, int sub) {
    int i = indexOf(main, sub);
    return i >= 0 && RevisionRecord.isTombstone(record(i));
  }

  /** Whether an entry with exactly {@code main.sub} is retained. */
  boolean holds(long main, int sub) {
    return indexOf(main, sub) >= 0;
  }

  /** Index of the oldest entry with main revision {@code >= main}; {@link #size} when none. */
  int firstAtOrAbove(long main) {
    return newestAtOrBelow(main - 1) + 1;
  }

  /** The main revision of the entry at index {@code i}, oldest first. */
  long mainAt(int i) {
    return RevisionRecord.main(record(i));
  }

  /** Index of the entry with exactly {@code main.sub}, or -1. */
  private int indexOf(long main, int sub) {
    int lo = 0;
    int hi = size - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = RevisionRecord.compareTo(record(mid), main, sub);
      if (c == 0) {
        return mid;
      } else if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return -1;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** The entries read out of their records, oldest first: for snapshots, hashes and tests. */
  List<Entry> entries() {
    List<Entry> entries = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      byte[] record = record(i);
      entries.add(new Entry(RevisionRecord.revision(record), RevisionRecord.toKeyValue(record, key)));
    }
    return entries;
  }

  /**
   * The records as they are now, oldest first. Records never change, so the copy stays true of
   * this moment while the history moves on (a snapshot's image).
   */
  byte[][] records() {
    byte[][] copy = new byte[size][];
    for (int i = 0; i < size; i++) {
      copy[i] = record(i);
    }
    return copy;
  }

  /** What one retained revision counts towards the store's size (the space quota). */
  static long chargedSize(ByteString key, byte[] record) {
    return key.size() + RevisionRecord.valueSize(record) + REVISION_OVERHEAD;
  }

  /** The newest record; the history must not be empty. */
  byte[] lastRecord() {
    return record(size - 1);
  }

  private byte[] record(int i) {
    return size == 1 ? (byte[]) records : ((byte[][]) records)[i];
  }

  private long removeRange(int from, int to) {
    if (from >= to) {
      return 0;
    }
    long charged = 0;
    for (int i = from; i < to; i++) {
      charged += chargedSize(key, record(i));
    }
    int left = size - (to - from);
    if (left == 0) {
      records = null;
    } else if (left == 1) {
      records = record(from == 0 ? to : 0);
    } else {
      byte[][] many = (byte[][]) records;
      System.arraycopy(many, to, many, from, size - to);
      Arrays.fill(many, left, size, null);
    }
    size = left;
    return charged;
  }

  /** Index of the newest entry with main revision {@code <= atRev}, or -1. */
  private int newestAtOrBelow(long atRev) {
    int lo = 0;
    int hi = size - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (RevisionRecord.main(record(mid)) <= atRev) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
