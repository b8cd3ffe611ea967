package keel.server.mvcc;

import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.ArrayList;
import java.util.List;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * A TxnRequest in etcd 3.4's three steps (applierV3backend.Txn):
 *
 * <ol>
 *   <li>{@link #decide}: evaluate the compares of the whole nested tree against the state before
 *       the txn ({@code compareToPath});
 *   <li>{@link #check}: validate every put of the chosen branches (KEY_NOT_FOUND for
 *       ignore_value/ignore_lease on a missing key, LEASE_NOT_FOUND), then every range
 *       (FUTURE_REV, COMPACTED), both against the state before the txn, so an invalid txn
 *       changes nothing;
 *   <li>{@link #apply}: run the chosen ops in order in one {@link WriteTxn}.
 * </ol>
 *
 * <p>The first two steps read as etcd's read transaction does: each compare evaluated, and each
 * put of the chosen branches with {@code ignore_value} or {@code ignore_lease} checked, is a
 * range in the {@link TxnTally} they are given.
 */
final class TxnApplier {
  private TxnApplier() {}

  /**
   * Which branch each txn of the tree takes: {@code nested} lines up with the RequestOp.request_txn
   * entries of the taken branch, in order.
   */
  record Path(boolean succeeded, List<Path> nested) {
    List<RequestOp> branch(TxnRequest r) {
      return succeeded ? r.getSuccessList() : r.getFailureList();
    }
  }

  /** etcd's compareToPath: stops at the first compare that fails, as etcd's applyCompares does. */
  static Path decide(KeyIndex index, long rev, TxnRequest r, TxnTally reads) {
    boolean succeeded = true;
    for (Compare c : r.getCompareList()) {
      reads.ranges++;
      if (!holds(index, rev, c)) {
        succeeded = false;
        break;
      }
    }
    List<Path> nested = new ArrayList<>();
    for (RequestOp op : succeeded ? r.getSuccessList() : r.getFailureList()) {
      if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_TXN) {
        nested.add(decide(index, rev, op.getRequestTxn(), reads));
      }
    }
    return new Path(succeeded, nested);
  }

  /**
   * etcd's applyCompare: every key in the range must satisfy the compare; with no key in the
   * range a VALUE compare fails and the others compare against an empty KeyValue (version 0,
   * revisions 0, lease 0).
   */
  private static boolean holds(KeyIndex index, long rev, Compare c) {
    List<KeyValue> kvs = index.range(KeyRange.of(c.getKey(), c.getRangeEnd()), rev);
    if (kvs.isEmpty()) {
      return c.getTarget() != Compare.CompareTarget.VALUE
          && holds(c, KeyValue.getDefaultInstance());
    }
    for (KeyValue kv : kvs) {
      if (!holds(c, kv)) {
        return false;
      }
    }
    return true;
  }

  /**
   * etcd 3.4 has a LEASE compare target (enum value 4, operand {@code int64 lease = 8} in the
   * target_union oneof) that jetcd-grpc 0.8.5's rpc.proto lacks: it parses as an UNRECOGNIZED
   * target with the operand kept as an unknown field.
   */
  static final int LEASE_TARGET = 4;
  static final int LEASE_FIELD = 8;

  private static long leaseOperand(Compare c) {
    var field = c.getUnknownFields().getField(LEASE_FIELD);
    return field == null || field.getVarintList().isEmpty()
        ? 0
        : field.getVarintList().get(field.getVarintList().size() - 1);
  }

  /** etcd's compareKV; a target union of another kind compares against 0 or empty bytes. */
  private static boolean holds(Compare c, KeyValue kv) {
    int result = switch (c.getTarget()) {
      case VALUE -> KeyRange.ORDER.compare(kv.getValue(), c.getValue());
      case CREATE -> Long.compare(kv.getCreateRevision(), c.getCreateRevision());
      case MOD -> Long.compare(kv.getModRevision(), c.getModRevision());
      case VERSION -> Long.compare(kv.getVersion(), c.getVersion());
      case UNRECOGNIZED -> c.getTargetValue() == LEASE_TARGET
          ? Long.compare(kv.getLease(), leaseOperand(c))
          : 0;
    };
    return switch (c.getResult()) {
      case EQUAL -> result == 0;
      case NOT_EQUAL -> result != 0;
      case GREATER -> result > 0;
      case LESS -> result < 0;
      case UNRECOGNIZED -> true;
    };
  }

  /** etcd's checkRequests with checkRequestPut over the whole path, then checkRequestRange. */
  static void check(KeyIndex index, long rev, long compactRev, TxnRequest r, Path path,
      LeaseLookup leases, TxnTally reads) {
    checkPuts(index, rev, r, path, leases, reads);
    checkRanges(rev, compactRev, r, path);
  }

  private static void checkPuts(KeyIndex index, long rev, TxnRequest r, Path path,
      LeaseLookup leases, TxnTally reads) {
    int nested = 0;
    for (RequestOp op : path.branch(r)) {
      switch (op.getRequestCase()) {
        case REQUEST_TXN -> checkPuts(index, rev, op.getRequestTxn(), path.nested().get(nested++),
            leases, reads);
        case REQUEST_PUT -> {
          PutRequest p = op.getRequestPut();
          if (p.getIgnoreValue() || p.getIgnoreLease()) {
            reads.ranges++; // etcd's checkRequestPut reads the key with a range
            if (index.get(p.getKey(), rev) == null) {
              throw new EtcdException(EtcdError.KEY_NOT_FOUND);
            }
          }
          if (p.getLease() != 0 && !leases.exists(p.getLease())) {
            throw new EtcdException(EtcdError.LEASE_NOT_FOUND);
          }
        }
        case REQUEST_RANGE, REQUEST_DELETE_RANGE, REQUEST_NOT_SET -> { }
      }
    }
  }

  /**
   * etcd's checkRequestRange: revision 0 is fine, above the current revision is FUTURE_REV, below
   * the compact revision is COMPACTED. Unlike a plain range, a negative revision is not taken as
   * "current" here and so is COMPACTED whenever it is below the compact revision (etcd 3.4 does
   * the same).
   */
  private static void checkRanges(long rev, long compactRev, TxnRequest r, Path path) {
    int nested = 0;
    for (RequestOp op : path.branch(r)) {
      switch (op.getRequestCase()) {
        case REQUEST_TXN -> checkRanges(rev, compactRev, op.getRequestTxn(),
            path.nested().get(nested++));
        case REQUEST_RANGE -> {
          long want = op.getRequestRange().getRevision();
          if (want == 0) {
            continue;
          }
          if (want > rev) {
            throw new EtcdException(EtcdError.FUTURE_REV);
          }
          if (want < compactRev) {
            throw new EtcdException(EtcdError.COMPACTED);
          }
        }
        case REQUEST_PUT, REQUEST_DELETE_RANGE, REQUEST_NOT_SET -> { }
      }
    }
  }

  /**
   * etcd's applyTxn: the ops of the taken branch in order. Nested range, put and delete responses
   * carry a header holding only the revision the txn had reached after them, and nested txn
   * responses an empty header, as etcd's (the caller fills the top-level header).
   */
  static TxnResponse apply(WriteTxn tx, TxnRequest r, Path path) {
    TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(path.succeeded());
    int nested = 0;
    for (RequestOp op : path.branch(r)) {
      ResponseOp.Builder out = ResponseOp.newBuilder();
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> {
          RangeRequest range = op.getRequestRange();
          out.setResponseRange(tx.range(range).toBuilder().setHeader(header(tx)));
        }
        case REQUEST_PUT ->
            out.setResponsePut(tx.put(op.getRequestPut()).toBuilder().setHeader(header(tx)));
        case REQUEST_DELETE_RANGE -> out.setResponseDeleteRange(
            tx.deleteRange(op.getRequestDeleteRange()).toBuilder().setHeader(header(tx)));
        case REQUEST_TXN -> out.setResponseTxn(
            apply(tx, op.getRequestTxn(), path.nested().get(nested++)).toBuilder()
                .setHeader(ResponseHeader.getDefaultInstance()));
        case REQUEST_NOT_SET -> { } // etcd leaves the ResponseOp empty
      }
      resp.addResponses(out);
    }
    return resp.build();
  }

  private static ResponseHeader header(WriteTxn tx) {
    return ResponseHeader.newBuilder().setRevision(tx.viewRev()).build();
  }

  /**
   * etcd's backendQuota.Cost for a txn is non-zero only when the success or failure list holds a
   * put directly (puts inside nested txns are not counted).
   */
  static boolean canGrow(TxnRequest r) {
    for (RequestOp op : r.getSuccessList()) {
      if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_PUT) {
        return true;
      }
    }
    for (RequestOp op : r.getFailureList()) {
      if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_PUT) {
        return true;
      }
    }
    return false;
  }
}
