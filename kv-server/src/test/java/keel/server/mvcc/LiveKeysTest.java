package keel.server.mvcc;

import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.TxnRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link MvccStore#liveKeys}: etcd's keys_total, the keys that exist at the current revision. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LiveKeysTest {
  private final MvccStore store = new MvccStore();

  @Test
  void countsCreationsNotOverwritesAndDropsDeletes() {
    store.put(put("a", "1"), LeaseLookup.NONE);
    store.put(put("b", "1"), LeaseLookup.NONE);
    store.put(put("a", "2"), LeaseLookup.NONE);
    assertThat(store.liveKeys()).isEqualTo(2);

    store.deleteRange(delete("a"));
    assertThat(store.liveKeys()).isEqualTo(1);
    store.put(put("a", "3"), LeaseLookup.NONE);
    assertThat(store.liveKeys()).isEqualTo(2);
  }

  @Test
  void aRolledBackTxnLeavesTheCountAsItWas() {
    store.put(put("a", "1"), LeaseLookup.NONE);
    store.deleteRange(delete("a"));
    TxnRequest failing = TxnRequest.newBuilder()
        .addSuccess(op(put("a", "2")))
        .addSuccess(op(put("q", "1")))
        .addSuccess(op(PutRequest.newBuilder().setKey(bs("missing")).setIgnoreValue(true).build()))
        .build();
    assertEtcdError(() -> store.txn(failing, LeaseLookup.NONE), EtcdError.KEY_NOT_FOUND);
    assertThat(store.liveKeys()).isZero();
  }

  @Test
  void compactionAndSnapshotsKeepTheCount() throws Exception {
    store.put(put("a", "1"), LeaseLookup.NONE);
    store.put(put("b", "1"), LeaseLookup.NONE);
    store.put(put("b", "2"), LeaseLookup.NONE);
    store.deleteRange(delete("a"));
    store.put(put("c", "1"), LeaseLookup.NONE);
    store.compact(CompactionRequest.newBuilder().setRevision(store.currentRevision()).build());
    assertThat(store.liveKeys()).isEqualTo(2);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.writeTo(out);
    assertThat(MvccStore.readFrom(new ByteArrayInputStream(out.toByteArray())).liveKeys()).isEqualTo(2);
  }
}
