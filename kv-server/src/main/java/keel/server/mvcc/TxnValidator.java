package keel.server.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * The request checks etcd 3.4 makes at the door for KV requests ({@code v3rpc/key.go}:
 * {@code checkPutRequest}, {@code checkTxnRequest}, {@code checkIntervals}), as static helpers
 * for the gRPC front door. {@link MvccStore} runs them again when applying, so a command that
 * bypassed the door cannot leave a transaction half applied.
 */
public final class TxnValidator {
  /** etcd's default {@code --max-txn-ops}. */
  public static final int DEFAULT_MAX_TXN_OPS = 128;

  private TxnValidator() {}

  /**
   * etcd's {@code isTxnReadonly}: every op of both branches is a range (a nested txn counts as a
   * write, as in etcd). Such a txn is answered from the local store after a ReadIndex, never
   * through the log.
   */
  public static boolean isReadOnly(TxnRequest r) {
    return r.getSuccessList().stream().allMatch(TxnValidator::isRange)
        && r.getFailureList().stream().allMatch(TxnValidator::isRange);
  }

  /** etcd's {@code isTxnSerializable}: read-only, and every range asks for a serializable read. */
  public static boolean isSerializable(TxnRequest r) {
    return isReadOnly(r)
        && r.getSuccessList().stream().allMatch(op -> op.getRequestRange().getSerializable())
        && r.getFailureList().stream().allMatch(op -> op.getRequestRange().getSerializable());
  }

  private static boolean isRange(RequestOp op) {
    return op.getRequestCase() == RequestOp.RequestCase.REQUEST_RANGE;
  }

  /** etcd's checkPutRequest: EMPTY_KEY, VALUE_PROVIDED, LEASE_PROVIDED, in that order. */
  public static void checkPut(PutRequest r) {
    if (r.getKey().isEmpty()) {
      throw new EtcdException(EtcdError.EMPTY_KEY);
    }
    if (r.getIgnoreValue() && !r.getValue().isEmpty()) {
      throw new EtcdException(EtcdError.VALUE_PROVIDED);
    }
    if (r.getIgnoreLease() && r.getLease() != 0) {
      throw new EtcdException(EtcdError.LEASE_PROVIDED);
    }
  }

  /**
   * Everything etcd's kvServer.Txn checks before proposing: {@link #checkTxn} then
   * {@link #checkIntervals} on the success and on the failure branch.
   */
  public static void validate(TxnRequest r, int maxTxnOps) {
    checkTxn(r, maxTxnOps);
    checkIntervals(r.getSuccessList());
    checkIntervals(r.getFailureList());
  }

  /**
   * etcd's checkTxnRequest: TOO_MANY_OPS when the compare, success or failure list is longer than
   * {@code maxTxnOps} (a nested txn gets the budget left after its parent's longest list); EMPTY_KEY
   * for a compare without key; each op checked as at the door (an op with nothing set is
   * KEY_NOT_FOUND, as etcd answers).
   */
  public static void checkTxn(TxnRequest r, int maxTxnOps) {
    int opc = Math.max(r.getCompareCount(), Math.max(r.getSuccessCount(), r.getFailureCount()));
    if (opc > maxTxnOps) {
      throw new EtcdException(EtcdError.TOO_MANY_OPS);
    }
    for (Compare c : r.getCompareList()) {
      if (c.getKey().isEmpty()) {
        throw new EtcdException(EtcdError.EMPTY_KEY);
      }
    }
    for (RequestOp op : r.getSuccessList()) {
      checkOp(op, maxTxnOps - opc);
    }
    for (RequestOp op : r.getFailureList()) {
      checkOp(op, maxTxnOps - opc);
    }
  }

  private static void checkOp(RequestOp op, int maxTxnOps) {
    switch (op.getRequestCase()) {
      case REQUEST_RANGE -> requireKey(op.getRequestRange().getKey());
      case REQUEST_PUT -> checkPut(op.getRequestPut());
      case REQUEST_DELETE_RANGE -> requireKey(op.getRequestDeleteRange().getKey());
      case REQUEST_TXN -> checkTxn(op.getRequestTxn(), maxTxnOps);
      case REQUEST_NOT_SET -> throw new EtcdException(EtcdError.KEY_NOT_FOUND);
    }
  }

  private static void requireKey(ByteString key) {
    if (key.isEmpty()) {
      throw new EtcdException(EtcdError.EMPTY_KEY);
    }
  }

  /**
   * etcd's checkIntervals on one branch: DUPLICATE_KEY when a key is put twice, or put and
   * covered by a delete, anywhere in the branch including nested txns. A nested txn's then and
   * else branches may put the same key (only one of them runs). Deletes of a nested txn only
   * conflict with puts of its parent level and the levels above, not with puts of sibling txns
   * collected before them (etcd collects child deletes after checking child puts).
   *
   * <p>Intervals follow etcd's {@code adt.StringAffineInterval}: a delete without range_end is the
   * point {@code [key, key+"\0")}, one with range_end is {@code [key, range_end)} where an empty
   * end would be +infinity. A range_end of {@code "\0"} is taken literally there (not as "every
   * key from key"), so such a delete conflicts with no put: etcd 3.4 behaves so, and we match it.
   */
  public static void checkIntervals(List<RequestOp> reqs) {
    collect(reqs);
  }

  private record Interval(ByteString begin, ByteString end) {
    static Interval point(ByteString k) {
      return new Interval(k, k.concat(ByteString.copyFrom(new byte[] {0})));
    }

    boolean overlaps(Interval other) {
      return affine(begin, other.end) < 0 && affine(end, other.begin) > 0;
    }

    /** adt.StringAffineComparable: the empty string is +infinity. */
    private static int affine(ByteString a, ByteString b) {
      if (a.isEmpty()) {
        return b.isEmpty() ? 0 : 1;
      }
      if (b.isEmpty()) {
        return -1;
      }
      return Integer.signum(KeyRange.ORDER.compare(a, b));
    }
  }

  private record Collected(Set<ByteString> puts, List<Interval> dels) {}

  private static final Interval EVERYTHING =
      new Interval(ByteString.copyFrom(new byte[] {0}), ByteString.EMPTY);

  private static Collected collect(List<RequestOp> reqs) {
    List<Interval> dels = new ArrayList<>();
    for (RequestOp op : reqs) {
      if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_DELETE_RANGE) {
        DeleteRangeRequest d = op.getRequestDeleteRange();
        dels.add(d.getRangeEnd().isEmpty()
            ? Interval.point(d.getKey())
            : new Interval(d.getKey(), d.getRangeEnd()));
      }
    }

    Set<ByteString> puts = new TreeSet<>(KeyRange.ORDER);
    for (RequestOp op : reqs) {
      if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_TXN) {
        continue;
      }
      Collected then = collect(op.getRequestTxn().getSuccessList());
      Collected otherwise = collect(op.getRequestTxn().getFailureList());
      for (ByteString k : then.puts()) {
        if (puts.contains(k) || deleted(dels, k)) {
          throw new EtcdException(EtcdError.DUPLICATE_KEY);
        }
        puts.add(k);
      }
      for (ByteString k : otherwise.puts()) {
        if ((puts.contains(k) && !then.puts().contains(k)) || deleted(dels, k)) {
          throw new EtcdException(EtcdError.DUPLICATE_KEY);
        }
        puts.add(k);
      }
      // adt.IntervalTree.Union(child, ["\0", +inf)): only child deletes overlapping that.
      for (Interval iv : then.dels()) {
        if (iv.overlaps(EVERYTHING)) {
          dels.add(iv);
        }
      }
      for (Interval iv : otherwise.dels()) {
        if (iv.overlaps(EVERYTHING)) {
          dels.add(iv);
        }
      }
    }

    for (RequestOp op : reqs) {
      if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_PUT) {
        continue;
      }
      ByteString k = op.getRequestPut().getKey();
      if (puts.contains(k) || deleted(dels, k)) {
        throw new EtcdException(EtcdError.DUPLICATE_KEY);
      }
      puts.add(k);
    }
    return new Collected(puts, dels);
  }

  private static boolean deleted(List<Interval> dels, ByteString k) {
    Interval point = Interval.point(k);
    for (Interval iv : dels) {
      if (point.overlaps(iv)) {
        return true;
      }
    }
    return false;
  }
}
