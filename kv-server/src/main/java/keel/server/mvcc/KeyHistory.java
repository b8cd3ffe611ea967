package keel.server.mvcc;

import io.etcd.jetcd.api.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every retained revision of one key, oldest first: a put carries the {@link KeyValue} written
 * at that revision, a tombstone (a delete) carries none. etcd keeps the same information as a
 * list of generations in {@code key_index.go}; a flat list with tombstones in it is equivalent
 * and simpler to compact.
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
  /** One retained revision of the key; {@code kv == null} marks a tombstone. */
  record Entry(Revision revision, KeyValue kv) {
    boolean isTombstone() {
      return kv == null;
    }
  }

  private final List<Entry> entries = new ArrayList<>();

  /** The live value at {@code atRev}, or null when the key does not exist at that revision. */
  KeyValue liveAt(long atRev) {
    int i = newestAtOrBelow(atRev);
    return i < 0 ? null : entries.get(i).kv();
  }

  /** The live value at the newest revision, or null when the key is deleted. */
  KeyValue latest() {
    return entries.isEmpty() ? null : entries.get(entries.size() - 1).kv();
  }

  void append(Revision revision, KeyValue kvOrNullForTombstone) {
    if (!entries.isEmpty() && entries.get(entries.size() - 1).revision().compareTo(revision) >= 0) {
      throw new IllegalStateException("revision " + revision + " not after "
          + entries.get(entries.size() - 1).revision());
    }
    entries.add(new Entry(revision, kvOrNullForTombstone));
  }

  /**
   * Drops history below {@code atRev} as described in the class comment.
   *
   * @return the dropped entries, for size accounting
   */
  List<Entry> compact(long atRev) {
    int keepFrom = newestAtOrBelow(atRev);
    if (keepFrom < 0) {
      return List.of();
    }
    Entry newest = entries.get(keepFrom);
    if (newest.isTombstone() && newest.revision().main() < atRev) {
      keepFrom++;
    }
    return removeRange(0, keepFrom);
  }

  /** Removes the entries written at main revision {@code main} or later (a rolled back txn). */
  List<Entry> truncateFrom(long main) {
    int from = entries.size();
    while (from > 0 && entries.get(from - 1).revision().main() >= main) {
      from--;
    }
    return removeRange(from, entries.size());
  }

  /**
   * The watch event written at {@code revision}, or null when no entry has that revision: a PUT
   * with the kv, or a DELETE whose kv holds the key and the deletion's mod_revision (etcd's
   * kvsToEvents). prev_kv is the entry before it when that one is a put still retained; compaction
   * may have dropped it, and then there is none, as etcd's range at {@code mod_revision - 1} fails.
   */
  io.etcd.jetcd.api.Event eventAt(Revision revision, com.google.protobuf.ByteString key) {
    int i = indexOf(revision);
    if (i < 0) {
      return null;
    }
    Entry entry = entries.get(i);
    io.etcd.jetcd.api.Event.Builder event = io.etcd.jetcd.api.Event.newBuilder();
    if (entry.isTombstone()) {
      event.setType(io.etcd.jetcd.api.Event.EventType.DELETE)
          .setKv(KeyValue.newBuilder().setKey(key).setModRevision(revision.main()));
    } else {
      event.setType(io.etcd.jetcd.api.Event.EventType.PUT).setKv(entry.kv());
    }
    if (i > 0 && !entries.get(i - 1).isTombstone()) {
      event.setPrevKv(entries.get(i - 1).kv());
    }
    return event.build();
  }

  /** Whether the entry with exactly {@code revision} is a tombstone (false when there is none). */
  boolean isTombstoneAt(Revision revision) {
    int i = indexOf(revision);
    return i >= 0 && entries.get(i).isTombstone();
  }

  /** Index of the entry with exactly {@code revision}, or -1. */
  private int indexOf(Revision revision) {
    int lo = 0;
    int hi = entries.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = entries.get(mid).revision().compareTo(revision);
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
    return entries.isEmpty();
  }

  List<Entry> entries() {
    return Collections.unmodifiableList(entries);
  }

  private List<Entry> removeRange(int from, int to) {
    List<Entry> view = entries.subList(from, to);
    List<Entry> removed = List.copyOf(view);
    view.clear();
    return removed;
  }

  /** Index of the newest entry with main revision {@code <= atRev}, or -1. */
  private int newestAtOrBelow(long atRev) {
    int lo = 0;
    int hi = entries.size() - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (entries.get(mid).revision().main() <= atRev) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
