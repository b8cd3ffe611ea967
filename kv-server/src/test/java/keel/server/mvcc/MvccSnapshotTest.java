package keel.server.mvcc;

import static keel.server.mvcc.Requests.all;
import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static keel.server.mvcc.Requests.txn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.RangeRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MvccSnapshotTest {
  private final LeaseLookup leases = id -> true;

  private static byte[] bytes(MvccStore store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.writeTo(out);
    return out.toByteArray();
  }

  private static MvccStore copy(MvccStore store) throws IOException {
    return MvccStore.readFrom(new ByteArrayInputStream(bytes(store)));
  }

  private MvccStore history() {
    MvccStore store = new MvccStore();
    for (int i = 0; i < 20; i++) {
      store.put(put("k" + (i % 7), "v" + i).toBuilder().setLease(i % 3).build(), leases);
      if (i % 5 == 4) {
        store.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("k" + (i % 4)))
            .setRangeEnd(bs("k" + (i % 4 + 2))).build());
      }
    }
    store.txn(txn(List.of(), List.of(op(put("t1", "x")), op(delete("k3")), op(put("t2", "y"))),
        List.of()), leases);
    store.compact(CompactionRequest.newBuilder().setRevision(9).build());
    store.put(put("\u00ff", "high"), leases);
    return store;
  }

  @Test
  void roundTripAnswersEveryRangeTheSame() throws IOException {
    MvccStore store = history();
    MvccStore copy = copy(store);
    assertThat(copy.currentRevision()).isEqualTo(store.currentRevision());
    assertThat(copy.compactRevision()).isEqualTo(9);
    assertThat(copy.sizeBytes()).isEqualTo(store.sizeBytes());
    for (long rev = 9; rev <= store.currentRevision(); rev++) {
      RangeRequest r = all().setRevision(rev).build();
      assertThat(copy.range(r)).as("revision %d", rev).isEqualTo(store.range(r));
      for (int k = 0; k < 7; k++) {
        RangeRequest single = Requests.get("k" + k).toBuilder().setRevision(rev).build();
        assertThat(copy.range(single)).isEqualTo(store.range(single));
      }
    }
    assertEtcdError(() -> copy.range(all().setRevision(8).build()), EtcdError.COMPACTED);
    assertThat(bytes(copy)).isEqualTo(bytes(store));
    // the history in revision order (read from a log the snapshot restores in key order)
    EventPage events = copy.events(bs("\0"), bs("\0"), 9, Long.MAX_VALUE, 1_000);
    assertThat(events.events()).hasSizeGreaterThan(10).isEqualTo(
        store.events(bs("\0"), bs("\0"), 9, Long.MAX_VALUE, 1_000).events());
    assertThat(events.events()).extracting(e -> e.getKv().getModRevision()).isSorted();
    assertThat(copy.hashKv(0)).isEqualTo(store.hashKv(0));
  }

  @Test
  void aCaptureWrittenAfterTheStoreMovedOnHoldsTheStoreAsCaptured() throws IOException {
    MvccStore store = history();
    byte[] then = bytes(store);
    long revisionThen = store.currentRevision();
    MvccSnapshot.Image image = store.capture();
    // what the apply thread does while the image is written: new revisions, a delete, a compaction
    store.put(put("k1", "later"), leases);
    store.put(put("brand-new", "later"), leases);
    store.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("t1")).build());
    store.compact(CompactionRequest.newBuilder().setRevision(store.currentRevision()).build());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    image.writeTo(out);
    assertThat(out.toByteArray()).isEqualTo(then);
    MvccStore restored = MvccStore.readFrom(new ByteArrayInputStream(out.toByteArray()));
    assertThat(restored.currentRevision()).isEqualTo(revisionThen);
    assertThat(restored.range(all().setRevision(revisionThen).build()).getKvsList())
        .extracting(kv -> kv.getKey().toStringUtf8()).doesNotContain("brand-new").contains("t1");
  }

  @Test
  void restoredStoreContinuesWithTheSameRevisions() throws IOException {
    MvccStore store = history();
    MvccStore copy = copy(store);
    assertThat(copy.put(put("new", "1"), leases)).isEqualTo(store.put(put("new", "1"), leases));
    assertEtcdError(() -> copy.compact(CompactionRequest.newBuilder().setRevision(9).build()),
        EtcdError.COMPACTED);
  }

  @Test
  void aTombstoneKeptAloneByCompactionRoundTrips() throws IOException {
    // compacting at exactly a delete's revision keeps that tombstone as the key's only entry
    MvccStore store = new MvccStore();
    store.put(put("a", "1"), leases);
    store.put(put("b", "1"), leases);
    long deleted = store.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("a")).build()).revision();
    store.compact(CompactionRequest.newBuilder().setRevision(deleted).build());
    MvccStore copy = copy(store);
    assertThat(bytes(copy)).isEqualTo(bytes(store));
    assertThat(copy.liveKeys()).isEqualTo(1);
    assertThat(copy.sizeBytes()).isEqualTo(store.sizeBytes());
    assertThat(copy.range(all().build())).isEqualTo(store.range(all().build()));
    assertThat(copy.put(put("a", "2"), leases)).isEqualTo(store.put(put("a", "2"), leases));
    assertThat(copy.liveKeys()).isEqualTo(2);
  }

  @Test
  void emptyStoreRoundTrips() throws IOException {
    MvccStore copy = copy(new MvccStore());
    assertThat(copy.currentRevision()).isEqualTo(1);
    assertThat(copy.compactRevision()).isEqualTo(-1);
    assertThat(copy.range(all().build()).getCount()).isZero();
  }

  @Test
  void truncatedOrForeignStreamsAreRefused() throws IOException {
    byte[] full = bytes(history());
    byte[] truncated = Arrays.copyOf(full, full.length - 3);
    assertThatThrownBy(() -> MvccStore.readFrom(new ByteArrayInputStream(truncated)))
        .isInstanceOf(IOException.class);
    byte[] foreign = full.clone();
    foreign[0] ^= 1;
    assertThatThrownBy(() -> MvccStore.readFrom(new ByteArrayInputStream(foreign)))
        .isInstanceOf(IOException.class).hasMessageContaining("not an MVCC snapshot");
  }
}
