package keel.server.mvcc;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Every retained revision with the history of the key written at it, in revision order: etcd's
 * backend is keyed by revision the same way, and watchers catching up read it in that order.
 *
 * <p>Writes only ever add revisions above the newest, so the log is three arrays appended to
 * (about 16 bytes a revision, where a tree map took 72 with its entry and key object). A rolled
 * back transaction takes its revisions off the end; a compaction keeps, of the revisions at or
 * below it, those their history still holds ({@link #compact}). A store read back from a snapshot
 * appends in key order and sorts once ({@link #sort}).
 *
 * <p>Not thread-safe: guarded by {@link MvccStore}'s lock.
 */
final class RevisionLog {
  private long[] mains = new long[16];
  private int[] subs = new int[16];
  private KeyHistory[] histories = new KeyHistory[16];
  private int size;

  void append(long main, int sub, KeyHistory history) {
    if (size == mains.length) {
      int grown = size + (size >> 1);
      mains = Arrays.copyOf(mains, grown);
      subs = Arrays.copyOf(subs, grown);
      histories = Arrays.copyOf(histories, grown);
    }
    mains[size] = main;
    subs[size] = sub;
    histories[size] = history;
    size++;
  }

  int size() {
    return size;
  }

  long main(int i) {
    return mains[i];
  }

  int sub(int i) {
    return subs[i];
  }

  KeyHistory history(int i) {
    return histories[i];
  }

  /** Index of the first revision with main {@code >= main}; {@link #size} when none. */
  int firstAtOrAbove(long main) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (mains[mid] < main) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Takes off every revision with main {@code >= main} (a rolled back transaction's). */
  void truncateFrom(long main) {
    int from = firstAtOrAbove(main);
    Arrays.fill(histories, from, size, null);
    size = from;
  }

  /**
   * Drops the revisions at or below {@code atRev} that their history no longer holds, once the
   * histories were compacted at {@code atRev} (compaction drops nothing above it).
   */
  void compact(long atRev) {
    int end = firstAtOrAbove(atRev + 1);
    int kept = 0;
    for (int i = 0; i < end; i++) {
      if (histories[i].holds(mains[i], subs[i])) {
        mains[kept] = mains[i];
        subs[kept] = subs[i];
        histories[kept] = histories[i];
        kept++;
      }
    }
    int dropped = end - kept;
    if (dropped == 0) {
      return;
    }
    System.arraycopy(mains, end, mains, kept, size - end);
    System.arraycopy(subs, end, subs, kept, size - end);
    System.arraycopy(histories, end, histories, kept, size - end);
    Arrays.fill(histories, size - dropped, size, null);
    size -= dropped;
    if (size < mains.length / 4 && mains.length > 64) {
      int shrunk = Math.max(16, size + (size >> 1));
      mains = Arrays.copyOf(mains, shrunk);
      subs = Arrays.copyOf(subs, shrunk);
      histories = Arrays.copyOf(histories, shrunk);
    }
  }

  /** Puts the revisions in order after appending them out of it (reading a snapshot). */
  void sort() {
    Integer[] order = new Integer[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingLong(i -> mains[i]).thenComparingInt(i -> subs[i]));
    long[] sortedMains = new long[Math.max(16, size)];
    int[] sortedSubs = new int[sortedMains.length];
    KeyHistory[] sortedHistories = new KeyHistory[sortedMains.length];
    for (int i = 0; i < size; i++) {
      sortedMains[i] = mains[order[i]];
      sortedSubs[i] = subs[order[i]];
      sortedHistories[i] = histories[order[i]];
    }
    mains = sortedMains;
    subs = sortedSubs;
    histories = sortedHistories;
  }
}
