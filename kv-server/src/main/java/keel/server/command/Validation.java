package keel.server.command;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * The checks etcd's KV front door makes before a request reaches Raft (etcd 3.4
 * {@code v3rpc/key.go}): a request refused here changes nothing anywhere.
 */
public final class Validation {
  private static final Comparator<ByteString> ORDER = ByteString.unsignedLexicographicalComparator();

  private final int maxTxnOps;

  public Validation(int maxTxnOps) {
    this.maxTxnOps = maxTxnOps;
  }

  public void checkRange(RangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw new EtcdException(EtcdError.EMPTY_KEY);
    }
  }

  public void checkPut(PutRequest r) {
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

  public void checkDelete(DeleteRangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw new EtcdException(EtcdError.EMPTY_KEY);
    }
  }

  /** Op counts and per-op checks, then etcd's rule against writing one key twice in a branch. */
  public void checkTxn(TxnRequest r) {
    checkTxnOps(r);
    checkIntervals(r.getSuccessList());
    checkIntervals(r.getFailureList());
  }

  private void checkTxnOps(TxnRequest r) {
    int ops = Math.max(r.getCompareCount(), Math.max(r.getSuccessCount(), r.getFailureCount()));
    if (ops > maxTxnOps) {
      throw new EtcdException(EtcdError.TOO_MANY_OPS);
    }
    for (var compare : r.getCompareList()) {
      if (compare.getKey().isEmpty()) {
        throw new EtcdException(EtcdError.EMPTY_KEY);
      }
    }
    for (RequestOp op : r.getSuccessList()) {
      checkOp(op);
    }
    for (RequestOp op : r.getFailureList()) {
      checkOp(op);
    }
  }

  private void checkOp(RequestOp op) {
    switch (op.getRequestCase()) {
      case REQUEST_RANGE -> checkRange(op.getRequestRange());
      case REQUEST_PUT -> checkPut(op.getRequestPut());
      case REQUEST_DELETE_RANGE -> checkDelete(op.getRequestDeleteRange());
      case REQUEST_TXN -> checkTxnOps(op.getRequestTxn());
      case REQUEST_NOT_SET -> { }
    }
  }

  /** A half-open key interval [start, end); a point has end == null. */
  private record Interval(ByteString start, ByteString end) {
    boolean contains(ByteString key) {
      if (end == null) {
        return start.equals(key);
      }
      return ORDER.compare(start, key) <= 0 && ORDER.compare(key, end) < 0;
    }
  }

  private record Writes(Set<ByteString> puts, List<Interval> deletes) {}

  /**
   * etcd 3.4 {@code checkIntervals}: within one branch (and the branches nested in it) a key may
   * be put once, and not put where the branch also deletes it. The two branches of a nested txn
   * exclude each other, so each may put the same key.
   */
  private static Writes checkIntervals(List<RequestOp> ops) {
    List<Interval> deletes = new ArrayList<>();
    for (RequestOp op : ops) {
      if (op.hasRequestDeleteRange()) {
        DeleteRangeRequest d = op.getRequestDeleteRange();
        deletes.add(d.getRangeEnd().isEmpty()
            ? new Interval(d.getKey(), null) : new Interval(d.getKey(), d.getRangeEnd()));
      }
    }
    Set<ByteString> puts = new HashSet<>();
    List<Interval> nestedDeletes = new ArrayList<>();
    for (RequestOp op : ops) {
      if (!op.hasRequestTxn()) {
        continue;
      }
      Writes then = checkIntervals(op.getRequestTxn().getSuccessList());
      Writes otherwise = checkIntervals(op.getRequestTxn().getFailureList());
      for (ByteString key : then.puts()) {
        if (puts.contains(key) || intersects(deletes, key)) {
          throw new EtcdException(EtcdError.DUPLICATE_KEY);
        }
        puts.add(key);
      }
      for (ByteString key : otherwise.puts()) {
        if ((puts.contains(key) && !then.puts().contains(key)) || intersects(deletes, key)) {
          throw new EtcdException(EtcdError.DUPLICATE_KEY);
        }
        puts.add(key);
      }
      nestedDeletes.addAll(then.deletes());
      nestedDeletes.addAll(otherwise.deletes());
    }
    deletes.addAll(nestedDeletes);
    for (RequestOp op : ops) {
      if (!op.hasRequestPut()) {
        continue;
      }
      ByteString key = op.getRequestPut().getKey();
      if (puts.contains(key) || intersects(deletes, key)) {
        throw new EtcdException(EtcdError.DUPLICATE_KEY);
      }
      puts.add(key);
    }
    return new Writes(puts, deletes);
  }

  private static boolean intersects(List<Interval> intervals, ByteString key) {
    for (Interval interval : intervals) {
      if (interval.contains(key)) {
        return true;
      }
    }
    return false;
  }
}
