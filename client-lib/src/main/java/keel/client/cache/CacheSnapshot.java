package keel.client.cache;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;
import keel.client.support.KeyOrder;

/**
 * An immutable view of a {@link PrefixCache}: every key under the prefix as of {@code revision},
 * sorted as etcd sorts keys (unsigned bytes, {@link KeyOrder#UNSIGNED}).
 *
 * @param revision the store revision this view reflects (every change up to it is in, none after)
 * @param entries key to KeyValue; an unmodifiable copy sorted by unsigned bytes
 */
public record CacheSnapshot(long revision, NavigableMap<ByteSequence, KeyValue> entries) {
  public CacheSnapshot {
    TreeMap<ByteSequence, KeyValue> sorted;
    if (entries.comparator() == KeyOrder.UNSIGNED) {
      sorted = new TreeMap<>((SortedMap<ByteSequence, KeyValue>) entries); // linear: same order
    } else {
      sorted = new TreeMap<>(KeyOrder.UNSIGNED);
      sorted.putAll(entries);
    }
    entries = Collections.unmodifiableNavigableMap(sorted);
  }

  /** An empty view at revision 0. */
  public static CacheSnapshot empty() {
    return new CacheSnapshot(0, new TreeMap<>(KeyOrder.UNSIGNED));
  }

  public int size() {
    return entries.size();
  }

  public KeyValue get(ByteSequence key) {
    return entries.get(key);
  }
}
