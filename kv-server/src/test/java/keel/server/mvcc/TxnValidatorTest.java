package keel.server.mvcc;

import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.compare;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.get;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static keel.server.mvcc.Requests.txn;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.Collections;
import java.util.List;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.Test;

class TxnValidatorTest {
  private static void ok(TxnRequest t) {
    assertThatCode(() -> TxnValidator.validate(t, 4)).doesNotThrowAnyException();
  }

  private static void fails(TxnRequest t, EtcdError error) {
    assertEtcdError(() -> TxnValidator.validate(t, 4), error);
  }

  private static DeleteRangeRequest deleteRange(String key, String end) {
    return DeleteRangeRequest.newBuilder().setKey(bs(key)).setRangeEnd(bs(end)).build();
  }

  @Test
  void tooManyOps() {
    List<RequestOp> four = Collections.nCopies(4, op(get("a")));
    List<RequestOp> five = Collections.nCopies(5, op(get("a")));
    Compare c = compare("a", Compare.CompareTarget.VERSION, Compare.CompareResult.EQUAL).build();
    ok(txn(Collections.nCopies(4, c), four, four));
    fails(txn(Collections.nCopies(5, c), List.of(), List.of()), EtcdError.TOO_MANY_OPS);
    fails(txn(List.of(), five, List.of()), EtcdError.TOO_MANY_OPS);
    fails(txn(List.of(), List.of(), five), EtcdError.TOO_MANY_OPS);
    // a nested txn gets what its parent's longest list leaves: 4 - 2 = 2
    TxnRequest three = txn(List.of(), Collections.nCopies(3, op(get("a"))), List.of());
    fails(txn(List.of(), List.of(op(three), op(get("b"))), List.of()), EtcdError.TOO_MANY_OPS);
    TxnRequest two = txn(List.of(), Collections.nCopies(2, op(get("a"))), List.of());
    ok(txn(List.of(), List.of(op(two), op(get("b"))), List.of()));
  }

  @Test
  void doorChecksOfOps() {
    fails(txn(List.of(compare("", Compare.CompareTarget.VERSION, Compare.CompareResult.EQUAL)
        .build()), List.of(), List.of()), EtcdError.EMPTY_KEY);
    fails(txn(List.of(), List.of(op(get(""))), List.of()), EtcdError.EMPTY_KEY);
    fails(txn(List.of(), List.of(), List.of(op(delete("")))), EtcdError.EMPTY_KEY);
    fails(txn(List.of(), List.of(op(put("a", "v").toBuilder().setIgnoreValue(true).build())),
        List.of()), EtcdError.VALUE_PROVIDED);
    fails(txn(List.of(), List.of(op(put("a", "").toBuilder().setIgnoreLease(true).setLease(1)
        .build())), List.of()), EtcdError.LEASE_PROVIDED);
    fails(txn(List.of(), List.of(RequestOp.getDefaultInstance()), List.of()),
        EtcdError.KEY_NOT_FOUND);
  }

  @Test
  void duplicatePutsInOneBranch() {
    fails(txn(List.of(), List.of(op(put("a", "1")), op(put("a", "2"))), List.of()),
        EtcdError.DUPLICATE_KEY);
    ok(txn(List.of(), List.of(op(put("a", "1"))), List.of(op(put("a", "2")))));
    ok(txn(List.of(), List.of(op(put("a", "1")), op(get("a"))), List.of()));
  }

  @Test
  void putCoveredByADelete() {
    fails(txn(List.of(), List.of(op(delete("a")), op(put("a", "1"))), List.of()),
        EtcdError.DUPLICATE_KEY);
    fails(txn(List.of(), List.of(op(put("b", "1")), op(deleteRange("a", "c"))), List.of()),
        EtcdError.DUPLICATE_KEY);
    ok(txn(List.of(), List.of(op(put("c", "1")), op(deleteRange("a", "c"))), List.of()));
    ok(txn(List.of(), List.of(op(delete("a")), op(delete("a"))), List.of()));
    // etcd 3.4 takes range_end "\0" literally here: no conflict
    ok(txn(List.of(), List.of(op(put("b", "1")), op(DeleteRangeRequest.newBuilder()
        .setKey(bs("a")).setRangeEnd(Requests.ZERO).build())), List.of()));
  }

  @Test
  void nestedTxns() {
    TxnRequest putsA = txn(List.of(), List.of(op(put("a", "1"))), List.of(op(put("a", "2"))));
    ok(txn(List.of(), List.of(op(putsA)), List.of()));
    fails(txn(List.of(), List.of(op(putsA), op(put("a", "3"))), List.of()),
        EtcdError.DUPLICATE_KEY);
    fails(txn(List.of(), List.of(op(putsA), op(putsA)), List.of()), EtcdError.DUPLICATE_KEY);
    fails(txn(List.of(), List.of(op(delete("a")), op(putsA)), List.of()),
        EtcdError.DUPLICATE_KEY);
    TxnRequest deletesA = txn(List.of(), List.of(op(delete("a"))), List.of());
    fails(txn(List.of(), List.of(op(deletesA), op(put("a", "1"))), List.of()),
        EtcdError.DUPLICATE_KEY);
    // a sibling's delete collected after a put of an earlier sibling does not conflict (etcd)
    TxnRequest onlyPutA = txn(List.of(), List.of(op(put("a", "1"))), List.of());
    ok(txn(List.of(), List.of(op(onlyPutA), op(deletesA)), List.of()));
    fails(txn(List.of(), List.of(op(deletesA), op(onlyPutA)), List.of()),
        EtcdError.DUPLICATE_KEY);
  }
}
