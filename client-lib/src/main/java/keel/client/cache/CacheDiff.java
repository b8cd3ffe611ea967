package keel.client.cache;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import keel.client.support.KeyOrder;

/**
 * The changes that take one view of a prefix to another, in key order: a merge walk over two maps
 * sorted by {@link KeyOrder#UNSIGNED}.
 *
 * <pre>
 * before {a@5, b@6, c@7}   after {a@5, b@9, d@10}  (revision 12)
 * diff   PUT b@9, DELETE c@12, PUT d@10
 * </pre>
 */
final class CacheDiff {
  private CacheDiff() {}

  static List<CacheChange> between(NavigableMap<ByteSequence, KeyValue> before,
      NavigableMap<ByteSequence, KeyValue> after, long afterRevision) {
    List<CacheChange> diff = new ArrayList<>();
    Iterator<Map.Entry<ByteSequence, KeyValue>> old = before.entrySet().iterator();
    Iterator<Map.Entry<ByteSequence, KeyValue>> now = after.entrySet().iterator();
    Map.Entry<ByteSequence, KeyValue> o = next(old);
    Map.Entry<ByteSequence, KeyValue> n = next(now);
    while (o != null || n != null) {
      int order = o == null ? 1 : n == null ? -1 : KeyOrder.compare(o.getKey(), n.getKey());
      if (order < 0) {
        diff.add(new CacheChange(CacheChange.Type.DELETE, o.getKey(), o.getValue(), afterRevision));
        o = next(old);
      } else if (order > 0) {
        diff.add(new CacheChange(CacheChange.Type.PUT, n.getKey(), n.getValue(), n.getValue().getModRevision()));
        n = next(now);
      } else {
        if (!KeyOrder.sameVersion(o.getValue(), n.getValue())) {
          diff.add(new CacheChange(CacheChange.Type.PUT, n.getKey(), n.getValue(), n.getValue().getModRevision()));
        }
        o = next(old);
        n = next(now);
      }
    }
    return diff;
  }

  private static <T> T next(Iterator<T> it) {
    return it.hasNext() ? it.next() : null;
  }
}
