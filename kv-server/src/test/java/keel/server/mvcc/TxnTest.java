package keel.server.mvcc;

import static io.etcd.jetcd.api.Compare.CompareResult.EQUAL;
import static io.etcd.jetcd.api.Compare.CompareResult.GREATER;
import static io.etcd.jetcd.api.Compare.CompareResult.LESS;
import static io.etcd.jetcd.api.Compare.CompareResult.NOT_EQUAL;
import static io.etcd.jetcd.api.Compare.CompareTarget.CREATE;
import static io.etcd.jetcd.api.Compare.CompareTarget.MOD;
import static io.etcd.jetcd.api.Compare.CompareTarget.VALUE;
import static io.etcd.jetcd.api.Compare.CompareTarget.VERSION;
import static keel.server.mvcc.Requests.all;
import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.compare;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.get;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static keel.server.mvcc.Requests.txn;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TxnTest {
  private final MvccStore store = new MvccStore();
  private final LeaseLookup leases = id -> id == 7;

  /** a=1 at revision 2 (lease 7), b=2 at 3; current revision 3. */
  @BeforeEach
  void fill() {
    store.put(put("a", "1").toBuilder().setLease(7).build(), leases);
    store.put(put("b", "2"), leases);
  }

  private boolean holds(Compare.Builder c) {
    return store.txn(txn(List.of(c.build()), List.of(), List.of()), leases).response()
        .getSucceeded();
  }

  @Test
  void aReadOnlyTxnAnswersAsTheWritePathWouldAndMovesNothing() {
    TxnRequest reads = txn(List.of(compare("a", VALUE, EQUAL).setValue(bs("1")).build()),
        List.of(op(get("a")), op(get("b"))), List.of(op(get("zz"))));
    TxnResponse read = store.readOnlyTxn(reads);
    assertThat(read.getHeader().getRevision()).isEqualTo(3);
    assertThat(read.getSucceeded()).isTrue();
    assertThat(read.getResponsesList()).extracting(r -> r.getResponseRange().getKvs(0).getValue())
        .containsExactly(bs("1"), bs("2"));
    assertThat(read.toBuilder().clearHeader().build())
        .isEqualTo(store.txn(reads, leases).response().toBuilder().clearHeader().build());
    assertThat(store.currentRevision()).isEqualTo(3);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.readOnlyTxn(
        txn(List.of(), List.of(op(put("c", "3"))), List.of()))).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.currentRevision()).isEqualTo(3);
  }

  @Test
  void compareTargetsAndResults() {
    assertThat(holds(compare("a", VALUE, EQUAL).setValue(bs("1")))).isTrue();
    assertThat(holds(compare("a", VALUE, GREATER).setValue(bs("0")))).isTrue();
    assertThat(holds(compare("a", VALUE, LESS).setValue(bs("0")))).isFalse();
    assertThat(holds(compare("a", VALUE, NOT_EQUAL).setValue(bs("1")))).isFalse();
    assertThat(holds(compare("a", VERSION, EQUAL).setVersion(1))).isTrue();
    assertThat(holds(compare("a", CREATE, EQUAL).setCreateRevision(2))).isTrue();
    assertThat(holds(compare("b", MOD, GREATER).setModRevision(2))).isTrue();
    assertThat(holds(compare("b", MOD, LESS).setModRevision(3))).isFalse();
  }

  @Test
  void leaseCompareWorksThoughJetcdProtoLacksIt() {
    Compare.Builder lease = compare("a", VERSION, EQUAL).setTargetValue(TxnApplier.LEASE_TARGET)
        .setUnknownFields(UnknownFieldSet.newBuilder().addField(TxnApplier.LEASE_FIELD,
            UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build());
    assertThat(holds(lease)).isTrue();
    Compare reparsed = roundTrip(lease.build());
    assertThat(holds(reparsed.toBuilder())).isTrue();
    assertThat(holds(lease.setResult(NOT_EQUAL))).isFalse();
    assertThat(holds(lease.setKey(bs("b")).setResult(EQUAL))).isFalse();
    assertThat(holds(compare("b", VERSION, EQUAL).setTargetValue(TxnApplier.LEASE_TARGET)))
        .isTrue(); // lease 0 == operand 0
  }

  private static Compare roundTrip(Compare c) {
    try {
      return Compare.parseFrom(c.toByteArray());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void missingKeyFailsValueComparesAndComparesOthersAsEmpty() {
    assertThat(holds(compare("x", VALUE, EQUAL).setValue(bs("")))).isFalse();
    assertThat(holds(compare("x", VALUE, NOT_EQUAL).setValue(bs("1")))).isFalse();
    assertThat(holds(compare("x", VERSION, EQUAL).setVersion(0))).isTrue();
    assertThat(holds(compare("x", CREATE, EQUAL).setCreateRevision(0))).isTrue();
    assertThat(holds(compare("x", MOD, LESS).setModRevision(1))).isTrue();
  }

  @Test
  void rangeComparesNeedEveryKey() {
    assertThat(holds(compare("a", VERSION, EQUAL).setRangeEnd(bs("c")).setVersion(1))).isTrue();
    assertThat(holds(compare("a", MOD, GREATER).setRangeEnd(bs("c")).setModRevision(2)))
        .isFalse();
    assertThat(holds(compare("a", MOD, GREATER).setRangeEnd(Requests.ZERO).setModRevision(1)))
        .isTrue();
    assertThat(holds(compare("x", VALUE, EQUAL).setRangeEnd(bs("z")).setValue(bs("")))).isFalse();
  }

  @Test
  void branchRunsAtOneRevisionWithSubRevisionsAndSeesItsOwnWrites() {
    TxnRequest t = txn(List.of(compare("a", VALUE, EQUAL).setValue(bs("1")).build()),
        List.of(op(put("c", "3")), op(get("c")), op(delete("a")),
            op(put("d", "4").toBuilder().setPrevKv(true).build()), op(all())),
        List.of());
    WriteResult<TxnResponse> result = store.txn(t, leases);
    TxnResponse resp = result.response();
    assertThat(resp.getSucceeded()).isTrue();
    assertThat(resp.hasHeader()).isFalse();
    assertThat(result.revision()).isEqualTo(4);
    assertThat(store.currentRevision()).isEqualTo(4);
    assertThat(resp.getResponsesList()).extracting(ResponseOp::getResponseCase).containsExactly(
        ResponseOp.ResponseCase.RESPONSE_PUT, ResponseOp.ResponseCase.RESPONSE_RANGE,
        ResponseOp.ResponseCase.RESPONSE_DELETE_RANGE, ResponseOp.ResponseCase.RESPONSE_PUT,
        ResponseOp.ResponseCase.RESPONSE_RANGE);
    assertThat(resp.getResponses(1).getResponseRange().getKvs(0).getModRevision()).isEqualTo(4);
    assertThat(resp.getResponses(1).getResponseRange().getHeader().getRevision()).isEqualTo(4);
    assertThat(resp.getResponses(2).getResponseDeleteRange().getDeleted()).isEqualTo(1);
    assertThat(resp.getResponses(4).getResponseRange().getKvsList())
        .extracting(kv -> kv.getKey().toStringUtf8()).containsExactly("b", "c", "d");
    assertThat(result.events()).extracting(Event::getType).containsExactly(
        Event.EventType.PUT, Event.EventType.DELETE, Event.EventType.PUT);
    assertThat(result.events()).allSatisfy(e -> assertThat(e.getKv().getModRevision())
        .isEqualTo(4));
    assertThat(store.range(get("a").toBuilder().setRevision(3).build()).getCount()).isEqualTo(1);
    assertThat(store.range(get("a")).getCount()).isZero();
  }

  @Test
  void readsBeforeTheFirstWriteSeeTheOldRevision() {
    TxnResponse resp = store.txn(txn(List.of(), List.of(op(get("a")), op(put("a", "2")),
        op(get("a"))), List.of()), leases).response();
    assertThat(resp.getResponses(0).getResponseRange().getHeader().getRevision()).isEqualTo(3);
    assertThat(resp.getResponses(0).getResponseRange().getKvs(0).getValue()).isEqualTo(bs("1"));
    assertThat(resp.getResponses(1).getResponsePut().getHeader().getRevision()).isEqualTo(4);
    assertThat(resp.getResponses(2).getResponseRange().getKvs(0).getValue()).isEqualTo(bs("2"));
  }

  @Test
  void failureBranchAndReadOnlyTxnKeepTheRevision() {
    WriteResult<TxnResponse> result = store.txn(txn(
        List.of(compare("a", VALUE, EQUAL).setValue(bs("nope")).build()),
        List.of(op(put("a", "x"))), List.of(op(get("b")))), leases);
    assertThat(result.response().getSucceeded()).isFalse();
    assertThat(result.response().getResponses(0).getResponseRange().getKvs(0).getValue())
        .isEqualTo(bs("2"));
    assertThat(result.revision()).isEqualTo(3);
    assertThat(result.events()).isEmpty();
    assertThat(store.currentRevision()).isEqualTo(3);
    assertThat(store.txn(txn(List.of(), List.of(op(delete("zz"))), List.of()), leases)
        .revision()).isEqualTo(3);
  }

  @Test
  void nestedTxnsDecideUpFrontAgainstTheStateBeforeTheTxn() {
    // The outer success deletes a, then a nested txn compares a's value: decided before the
    // delete, so the nested success branch runs.
    TxnRequest inner = txn(List.of(compare("a", VALUE, EQUAL).setValue(bs("1")).build()),
        List.of(op(put("in", "then"))), List.of(op(put("in", "else"))));
    TxnRequest outer = txn(List.of(), List.of(op(delete("a")), op(inner), op(get("in"))),
        List.of());
    WriteResult<TxnResponse> result = store.txn(outer, leases);
    TxnResponse nested = result.response().getResponses(1).getResponseTxn();
    assertThat(nested.getSucceeded()).isTrue();
    assertThat(nested.getHeader()).isEqualTo(ResponseHeader.getDefaultInstance());
    assertThat(result.response().getResponses(1).getResponseTxn().hasHeader()).isTrue();
    assertThat(nested.getResponses(0).getResponsePut().getHeader().getRevision()).isEqualTo(4);
    assertThat(result.response().getResponses(2).getResponseRange().getKvs(0).getValue())
        .isEqualTo(bs("then"));
    assertThat(result.events()).extracting(e -> e.getKv().getKey().toStringUtf8())
        .containsExactly("a", "in");
    assertThat(store.currentRevision()).isEqualTo(4);
  }

  @Test
  void nestedFailureBranch() {
    TxnRequest inner = txn(List.of(compare("b", VERSION, GREATER).setVersion(5).build()),
        List.of(op(put("in", "then"))), List.of(op(put("in", "else")), op(get("b"))));
    TxnResponse resp = store.txn(txn(List.of(), List.of(op(inner)), List.of()), leases)
        .response();
    TxnResponse nested = resp.getResponses(0).getResponseTxn();
    assertThat(nested.getSucceeded()).isFalse();
    assertThat(nested.getResponsesCount()).isEqualTo(2);
    assertThat(store.range(get("in")).getKvs(0).getValue()).isEqualTo(bs("else"));
  }

  private void assertUnchanged(long sizeBefore) {
    assertThat(store.currentRevision()).isEqualTo(3);
    assertThat(store.sizeBytes()).isEqualTo(sizeBefore);
    assertThat(store.range(all().build()).getKvsList())
        .extracting(kv -> kv.getKey().toStringUtf8() + "=" + kv.getValue().toStringUtf8())
        .containsExactly("a=1", "b=2");
  }

  @Test
  void anInvalidTxnChangesNothing() {
    long size = store.sizeBytes();
    PutRequest badLease = put("x", "1").toBuilder().setLease(99).build();
    assertEtcdError(() -> store.txn(txn(List.of(),
        List.of(op(put("c", "1")), op(delete("a")), op(badLease)), List.of()), leases),
        EtcdError.LEASE_NOT_FOUND);
    assertUnchanged(size);

    PutRequest ignoreMissing = PutRequest.newBuilder().setKey(bs("zz")).setIgnoreValue(true)
        .build();
    TxnRequest nested = txn(List.of(), List.of(op(ignoreMissing)), List.of());
    assertEtcdError(() -> store.txn(txn(List.of(), List.of(op(put("c", "1")), op(nested)),
        List.of()), leases), EtcdError.KEY_NOT_FOUND);
    assertUnchanged(size);

    assertEtcdError(() -> store.txn(txn(List.of(), List.of(op(put("c", "1")),
        op(get("a").toBuilder().setRevision(4).build())), List.of()), leases),
        EtcdError.FUTURE_REV);
    assertUnchanged(size);
  }

  @Test
  void onlyTheTakenBranchIsChecked() {
    PutRequest badLease = put("x", "1").toBuilder().setLease(99).build();
    WriteResult<TxnResponse> result = store.txn(txn(List.of(), List.of(op(put("c", "1"))),
        List.of(op(badLease))), leases);
    assertThat(result.revision()).isEqualTo(4);
  }

  @Test
  void putChecksComeBeforeRangeChecks() {
    PutRequest badLease = put("x", "1").toBuilder().setLease(99).build();
    assertEtcdError(() -> store.txn(txn(List.of(),
        List.of(op(get("a").toBuilder().setRevision(9).build()), op(badLease)), List.of()),
        leases), EtcdError.LEASE_NOT_FOUND);
  }

  @Test
  void compactedRevisionInATxnRange() {
    store.put(put("a", "3"), leases); // 4
    store.compact(CompactionRequest.newBuilder().setRevision(4).build());
    assertEtcdError(() -> store.txn(txn(List.of(), List.of(op(put("c", "1")),
        op(get("a").toBuilder().setRevision(3).build())), List.of()), leases),
        EtcdError.COMPACTED);
    // etcd 3.4 quirk: a negative revision inside a txn is compared with the compact revision
    assertEtcdError(() -> store.txn(txn(List.of(), List.of(
        op(get("a").toBuilder().setRevision(-1).build())), List.of()), leases),
        EtcdError.COMPACTED);
    assertThat(store.txn(txn(List.of(), List.of(
        op(get("a").toBuilder().setRevision(4).build())), List.of()), leases).response()
        .getResponses(0).getResponseRange().getCount()).isEqualTo(1);
    assertThat(store.currentRevision()).isEqualTo(4);
  }

  @Test
  void duplicateKeysAreRefusedAtApplyToo() {
    long size = store.sizeBytes();
    assertEtcdError(() -> store.txn(txn(List.of(), List.of(op(put("c", "1")),
        op(put("c", "2"))), List.of()), leases), EtcdError.DUPLICATE_KEY);
    assertUnchanged(size);
  }

  @Test
  void txnWithPutsIsRefusedWhileCappedButDeletesPass() {
    MvccStore small = new MvccStore();
    small.put(put("a", "1"), leases);
    small.setCapped(true);
    assertEtcdError(() -> small.txn(txn(List.of(), List.of(), List.of(op(put("b", "1")))),
        leases), EtcdError.NO_SPACE);
    assertThat(small.txn(txn(List.of(), List.of(op(delete("a"))), List.of()), leases)
        .response().getResponses(0).getResponseDeleteRange().getDeleted()).isEqualTo(1);
    // etcd counts only puts directly in a branch, not in nested txns
    TxnRequest nestedPut = txn(List.of(), List.of(op(put("b", "1"))), List.of());
    assertThat(small.txn(txn(List.of(), List.of(op(nestedPut)), List.of()), leases).revision())
        .isEqualTo(4);
  }

  @Test
  void txnPutWithPrevKvAndLease() {
    TxnResponse resp = store.txn(txn(List.of(), List.of(op(put("a", "2").toBuilder()
        .setPrevKv(true).setLease(7).build())), List.of()), leases).response();
    assertThat(resp.getResponses(0).getResponsePut().getPrevKv().getValue()).isEqualTo(bs("1"));
    assertThat(store.range(get("a")).getKvs(0).getLease()).isEqualTo(7);
    assertThat(store.range(get("a")).getKvs(0).getVersion()).isEqualTo(2);
  }
}
