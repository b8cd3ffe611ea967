package keel.server.mvcc;

import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.junit.jupiter.api.Test;

/**
 * HashKV numbers are etcd's own: each expected value below was printed by {@code etcdctl endpoint
 * hashkv} against a fresh one-member etcd 3.4.23 after the same writes.
 */
class HashKvTest {
  private final MvccStore store = new MvccStore();

  @Test
  void hashesAreEtcdsAfterPutsDeletesATxnAndACompaction() {
    assertThat(hash(0)).isEqualTo(1084519789L);
    store.put(put("a", "1"), LeaseLookup.NONE);                                  // 2
    store.put(put("b", "2"), LeaseLookup.NONE);                                  // 3
    store.put(put("a", "3"), LeaseLookup.NONE);                                  // 4
    assertThat(hash(0)).isEqualTo(2069675932L);

    store.deleteRange(delete("b"));                                              // 5
    store.txn(TxnRequest.newBuilder()                                            // 6.0, 6.1, 6.2
        .addSuccess(op(put("c", "4"))).addSuccess(op(put("d", "5"))).addSuccess(op(delete("a")))
        .build(), LeaseLookup.NONE);
    assertThat(hash(0)).isEqualTo(3071562260L);
    assertThat(hash(3)).isEqualTo(1827592406L);

    store.put(put("a", "9"), LeaseLookup.NONE);                                  // 7
    store.put(put("e", ""), LeaseLookup.NONE);                                   // 8
    store.compact(CompactionRequest.newBuilder().setRevision(6).build());
    assertThat(hash(0)).isEqualTo(345227521L);
    assertThat(hash(7)).isEqualTo(2924757427L);
    assertThat(store.hashKv(0).getCompactRevision()).isEqualTo(6);
    assertThat(store.hashKv(7).getHeader().getRevision()).as("the current revision").isEqualTo(8);

    store.deleteRange(DeleteRangeRequest.newBuilder().setKey(Requests.ZERO).setRangeEnd(Requests.ZERO).build()); // 9
    store.compact(CompactionRequest.newBuilder().setRevision(9).build());
    assertThat(hash(0)).as("everything compacted away, the tombstones at 9 too").isEqualTo(1084519789L);
  }

  @Test
  void revisionsOutsideTheRetainedHistoryAreEtcdsErrors() {
    store.put(put("a", "1"), LeaseLookup.NONE);
    store.put(put("a", "2"), LeaseLookup.NONE);
    store.compact(CompactionRequest.newBuilder().setRevision(2).build());
    assertThat(store.hashKv(0).getCompactRevision()).isEqualTo(2);
    assertThat(store.hashKv(3).getHash()).isEqualTo(store.hashKv(0).getHash());
    assertError(() -> store.hashKv(2), EtcdError.COMPACTED);
    assertError(() -> store.hashKv(4), EtcdError.FUTURE_REV);
  }

  @Test
  void neverCompactedAnswersCompactRevisionMinusOne() {
    assertThat(store.hashKv(0).getCompactRevision()).isEqualTo(-1);
  }

  private long hash(long revision) {
    return Integer.toUnsignedLong(store.hashKv(revision).getHash());
  }

  private static void assertError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, EtcdError error) {
    assertThatThrownBy(call).isInstanceOfSatisfying(EtcdException.class, e -> assertThat(e.error()).isEqualTo(error));
  }
}
