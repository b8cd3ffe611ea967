package keel.server.mvcc;

import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.compare;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.get;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static keel.server.mvcc.Requests.txn;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.PutRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.Test;

/**
 * The store counts as etcd's MVCC transactions do ({@code mvcc/metrics_txn.go}): ranges, puts and
 * deletes one by one, and a txn for each transaction of more than one of them.
 */
class MvccCountersTest {
  private final MvccCounters counters = new MvccCounters();
  private final MvccStore store = new MvccStore(counters);

  private record Counts(long ranges, long puts, long deletes, long txns) {}

  private Counts counts() {
    return new Counts(counters.ranges(), counters.puts(), counters.deletes(), counters.txns());
  }

  private static Compare.Builder versionIs(String key, long version) {
    return compare(key, Compare.CompareTarget.VERSION, Compare.CompareResult.EQUAL).setVersion(version);
  }

  @Test
  void aRangeIsOneRangeEvenWhenItFails() {
    store.range(get("a"));
    assertEtcdError(() -> store.range(get("a").toBuilder().setRevision(100).build()), EtcdError.FUTURE_REV);
    assertThat(counts()).isEqualTo(new Counts(2, 0, 0, 0));
  }

  @Test
  void aPutIsOnePutAndWithPrevKvAlsoARangeAndSoATxn() {
    store.put(put("a", "1"), LeaseLookup.NONE);
    assertThat(counts()).isEqualTo(new Counts(0, 1, 0, 0));
    store.put(put("a", "22").toBuilder().setPrevKv(true).build(), LeaseLookup.NONE);
    assertThat(counts()).isEqualTo(new Counts(1, 2, 0, 1));
    assertThat(counters.putBytes()).isEqualTo(2 + 3);
  }

  @Test
  void aDeleteCountsWhetherItDeletesAnythingOrNot() {
    store.deleteRange(delete("missing"));
    assertThat(counts()).isEqualTo(new Counts(0, 0, 1, 0));
    store.deleteRange(delete("missing").toBuilder().setPrevKv(true).build());
    assertThat(counts()).isEqualTo(new Counts(1, 0, 2, 1));
  }

  @Test
  void aPutThatReadsAMissingKeyCountsItsRangeButNoPut() {
    PutRequest keepValue = PutRequest.newBuilder().setKey(bs("missing")).setIgnoreValue(true).build();
    assertEtcdError(() -> store.put(keepValue, LeaseLookup.NONE), EtcdError.KEY_NOT_FOUND);
    assertThat(counts()).isEqualTo(new Counts(1, 0, 0, 0));
  }

  @Test
  void aWriteRefusedBeforeTheStoreIsReadCountsNothing() {
    assertEtcdError(() -> store.put(put("a", "1").toBuilder().setLease(7).build(), LeaseLookup.NONE),
        EtcdError.LEASE_NOT_FOUND);
    store.setCapped(true);
    assertEtcdError(() -> store.txn(txn(List.of(versionIs("a", 0).build()), List.of(op(put("a", "1"))), List.of()),
        LeaseLookup.NONE), EtcdError.NO_SPACE);
    assertThat(counts()).isEqualTo(new Counts(0, 0, 0, 0));
  }

  @Test
  void aTxnThatWritesCountsItsComparesAndItsOpsAsTwoTransactions() {
    // one compare, then two puts: the compares' transaction ran one op, the ops' two
    store.txn(txn(List.of(versionIs("x", 0).build()), List.of(op(put("y", "1")), op(put("z", "1"))), List.of()),
        LeaseLookup.NONE);
    assertThat(counts()).isEqualTo(new Counts(1, 2, 0, 1));
    // two compares, then one put and one delete: both transactions ran two
    store.txn(txn(List.of(versionIs("y", 1).build(), versionIs("z", 1).build()),
        List.of(op(put("y", "2")), op(delete("z"))), List.of()), LeaseLookup.NONE);
    assertThat(counts()).isEqualTo(new Counts(3, 3, 1, 3));
    // one compare, one put: neither counts as a txn
    store.txn(txn(List.of(versionIs("y", 2).build()), List.of(op(put("y", "3"))), List.of()), LeaseLookup.NONE);
    assertThat(counts()).isEqualTo(new Counts(4, 4, 1, 3));
  }

  @Test
  void comparesStopAtTheFirstThatFails() {
    Compare missingValue = compare("nothing", Compare.CompareTarget.VALUE, Compare.CompareResult.EQUAL)
        .setValue(bs("v")).build();
    store.txn(txn(List.of(missingValue, versionIs("a", 0).build(), versionIs("b", 0).build()),
        List.of(op(put("a", "1"))), List.of()), LeaseLookup.NONE);
    assertThat(counts()).isEqualTo(new Counts(1, 0, 0, 0));
  }

  @Test
  void aReadOnlyTxnIsOneTransaction() {
    store.readOnlyTxn(txn(List.of(versionIs("a", 0).build()), List.of(op(get("a"))), List.of()));
    assertThat(counts()).isEqualTo(new Counts(2, 0, 0, 1));
  }

  @Test
  void aCompactionCountsTheRevisionsEtcdsBackendDropsAndTheRangeOfItsAnswer() {
    store.put(put("a", "1"), LeaseLookup.NONE); // 2
    store.put(put("a", "2"), LeaseLookup.NONE); // 3
    store.put(put("b", "1"), LeaseLookup.NONE); // 4
    store.deleteRange(delete("b")); // 5
    Counts before = counts();
    // etcd keeps a@3 and drops a@2, b@4 and the tombstone b@5 (Keel keeps that one for reads at 5)
    store.compact(CompactionRequest.newBuilder().setRevision(5).build());
    assertThat(counters.compactedRevisions()).isEqualTo(3);
    assertThat(counts()).isEqualTo(new Counts(before.ranges() + 1, before.puts(), before.deletes(), before.txns()));
    store.put(put("c", "1"), LeaseLookup.NONE); // 6
    // the tombstone at 5 leaves Keel's store now, but etcd's backend dropped it already
    store.compact(CompactionRequest.newBuilder().setRevision(6).build());
    assertThat(counters.compactedRevisions()).isEqualTo(3);
  }

  @Test
  void aStoreReadFromASnapshotGoesOnCountingIntoTheCountersItIsGiven() throws Exception {
    store.put(put("a", "1"), LeaseLookup.NONE);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.writeTo(out);
    MvccStore read = MvccStore.readFrom(new ByteArrayInputStream(out.toByteArray()), counters);
    read.put(put("a", "2"), LeaseLookup.NONE);
    assertThat(read.counters()).isSameAs(counters);
    assertThat(counters.puts()).isEqualTo(2);
  }
}
