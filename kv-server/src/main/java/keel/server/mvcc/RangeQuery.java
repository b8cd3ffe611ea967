package keel.server.mvcc;

import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * A RangeRequest against a {@link KeyIndex}, with etcd 3.4's semantics (applierV3backend.Range
 * over storeTxnRead.rangeKeys):
 *
 * <ol>
 *   <li>revision {@code > current} is FUTURE_REV; {@code <= 0} means current; a revision below
 *       the compact revision is COMPACTED (so reading at exactly the compact revision works);
 *   <li>count is the number of live keys in the range at that revision, before filters and limit;
 *   <li>count_only returns no kvs;
 *   <li>the min/max mod/create revision filters drop kvs (0 = unset);
 *   <li>sorting: a target other than KEY with order NONE sorts ASCEND; the sort is stable from key
 *       order, so ties keep key order (also for DESCEND, as Go's insertion sort on
 *       sort.Reverse keeps them);
 *   <li>limit {@code > 0} truncates after filter and sort, and sets more when kvs were dropped;
 *   <li>keys_only clears the values last (so a VALUE sort still sees them).
 * </ol>
 */
final class RangeQuery {
  private RangeQuery() {}

  /**
   * @param currentRev the revision the reader sees as current (inside a write txn: the txn's
   *     revision once it has changed something)
   * @param compactRev the store's compact revision
   * @return the response without header
   */
  static RangeResponse execute(KeyIndex index, RangeRequest r, long currentRev, long compactRev) {
    long rev = r.getRevision();
    if (rev > currentRev) {
      throw new EtcdException(EtcdError.FUTURE_REV);
    }
    if (rev <= 0) {
      rev = currentRev;
    }
    if (rev < compactRev) {
      throw new EtcdException(EtcdError.COMPACTED);
    }
    List<KeyValue> kvs = index.range(KeyRange.of(r.getKey(), r.getRangeEnd()), rev);
    RangeResponse.Builder resp = RangeResponse.newBuilder().setCount(kvs.size());
    if (r.getCountOnly()) {
      return resp.build();
    }
    kvs = filter(kvs, r);
    Comparator<KeyValue> order = sortOrder(r);
    if (order != null) {
      kvs.sort(order); // List.sort is a stable merge sort
    }
    if (r.getLimit() > 0 && kvs.size() > r.getLimit()) {
      kvs = kvs.subList(0, (int) r.getLimit());
      resp.setMore(true);
    }
    for (KeyValue kv : kvs) {
      resp.addKvs(r.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
    }
    return resp.build();
  }

  private static List<KeyValue> filter(List<KeyValue> kvs, RangeRequest r) {
    List<Predicate<KeyValue>> drops = new ArrayList<>();
    if (r.getMaxModRevision() != 0) {
      drops.add(kv -> kv.getModRevision() > r.getMaxModRevision());
    }
    if (r.getMinModRevision() != 0) {
      drops.add(kv -> kv.getModRevision() < r.getMinModRevision());
    }
    if (r.getMaxCreateRevision() != 0) {
      drops.add(kv -> kv.getCreateRevision() > r.getMaxCreateRevision());
    }
    if (r.getMinCreateRevision() != 0) {
      drops.add(kv -> kv.getCreateRevision() < r.getMinCreateRevision());
    }
    List<KeyValue> kept = new ArrayList<>(kvs.size());
    for (KeyValue kv : kvs) {
      if (drops.stream().noneMatch(d -> d.test(kv))) {
        kept.add(kv);
      }
    }
    return kept;
  }

  /** The comparator etcd sorts with, or null when it does not sort (kvs stay in key order). */
  private static Comparator<KeyValue> sortOrder(RangeRequest r) {
    RangeRequest.SortOrder order = r.getSortOrder();
    if (r.getSortTarget() != RangeRequest.SortTarget.KEY && order == RangeRequest.SortOrder.NONE) {
      order = RangeRequest.SortOrder.ASCEND;
    }
    Comparator<KeyValue> ascending = switch (r.getSortTarget()) {
      case KEY -> Comparator.comparing(KeyValue::getKey, KeyRange.ORDER);
      case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
      case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
      case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
      case VALUE -> Comparator.comparing(KeyValue::getValue, KeyRange.ORDER);
      case UNRECOGNIZED -> null; // etcd has no sorter for it either
    };
    if (ascending == null) {
      return null;
    }
    return switch (order) {
      case ASCEND -> ascending;
      case DESCEND -> ascending.reversed();
      case NONE, UNRECOGNIZED -> null;
    };
  }
}
