package keel.server.mvcc;

import static keel.server.mvcc.Requests.all;
import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.get;
import static keel.server.mvcc.Requests.put;
import static keel.server.mvcc.Requests.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MvccStoreTest {
  private final MvccStore store = new MvccStore();
  private final LeaseLookup leases = id -> id == 7;

  private static List<String> keys(RangeResponse r) {
    return r.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
  }

  @Test
  void freshStoreIsAtRevisionOneAndNeverCompacted() {
    assertThat(store.currentRevision()).isEqualTo(1);
    assertThat(store.compactRevision()).isEqualTo(-1);
    assertThat(store.range(get("a")).getCount()).isZero();
    assertThat(store.sizeBytes()).isZero();
  }

  @Test
  void putCreatesThenUpdatesAKey() {
    WriteResult<PutResponse> first = store.put(put("a", "1"), leases);
    assertThat(first.revision()).isEqualTo(2);
    assertThat(store.currentRevision()).isEqualTo(2);
    WriteResult<PutResponse> second = store.put(put("a", "2"), leases);
    assertThat(second.revision()).isEqualTo(3);

    KeyValue kv = store.range(get("a")).getKvs(0);
    assertThat(kv).isEqualTo(KeyValue.newBuilder().setKey(bs("a")).setValue(bs("2"))
        .setCreateRevision(2).setModRevision(3).setVersion(2).build());
    assertThat(second.response().hasPrevKv()).isFalse();
    assertThat(second.events()).containsExactly(Event.newBuilder().setType(Event.EventType.PUT)
        .setKv(kv).setPrevKv(first.events().get(0).getKv()).build());
  }

  @Test
  void prevKvReturnsThePreviousLiveValueOnly() {
    PutRequest withPrev = put("a", "1").toBuilder().setPrevKv(true).build();
    assertThat(store.put(withPrev, leases).response().hasPrevKv()).isFalse();
    PutResponse resp = store.put(withPrev.toBuilder().setValue(bs("2")).build(), leases).response();
    assertThat(resp.getPrevKv().getValue()).isEqualTo(bs("1"));
    store.deleteRange(delete("a"));
    assertThat(store.put(withPrev, leases).response().hasPrevKv()).isFalse();
  }

  @Test
  void deleteResetsVersionAndCreateRevision() {
    store.put(put("a", "1"), leases); // 2
    store.put(put("a", "2"), leases); // 3
    store.deleteRange(delete("a")); // 4
    store.put(put("a", "3"), leases); // 5
    KeyValue kv = store.range(get("a")).getKvs(0);
    assertThat(kv.getVersion()).isEqualTo(1);
    assertThat(kv.getCreateRevision()).isEqualTo(5);
    assertThat(kv.getModRevision()).isEqualTo(5);
  }

  @Test
  void historicalReadsSeeEachRevision() {
    store.put(put("a", "1"), leases); // 2
    store.put(put("b", "1"), leases); // 3
    store.put(put("a", "2"), leases); // 4
    store.deleteRange(delete("b")); // 5
    assertThat(store.range(all().setRevision(1).build()).getCount()).isZero();
    assertThat(keys(store.range(all().setRevision(2).build()))).containsExactly("a");
    assertThat(keys(store.range(all().setRevision(3).build()))).containsExactly("a", "b");
    assertThat(store.range(get("a").toBuilder().setRevision(3).build()).getKvs(0).getValue())
        .isEqualTo(bs("1"));
    assertThat(store.range(get("a").toBuilder().setRevision(4).build()).getKvs(0).getValue())
        .isEqualTo(bs("2"));
    assertThat(keys(store.range(all().setRevision(5).build()))).containsExactly("a");
    assertThat(keys(store.range(all().setRevision(0).build()))).containsExactly("a");
  }

  @Test
  void rangeAboveCurrentRevisionIsFutureRev() {
    store.put(put("a", "1"), leases);
    assertEtcdError(() -> store.range(get("a").toBuilder().setRevision(3).build()),
        EtcdError.FUTURE_REV);
    assertThat(store.range(get("a").toBuilder().setRevision(2).build()).getCount()).isEqualTo(1);
  }

  @Test
  void negativeRevisionReadsTheCurrentOne() {
    store.put(put("a", "1"), leases);
    assertThat(store.range(get("a").toBuilder().setRevision(-5).build()).getCount()).isEqualTo(1);
  }

  @Test
  void rangeEndRules() {
    for (String k : List.of("a", "b", "c", "d")) {
      store.put(put(k, k), leases);
    }
    assertThat(keys(store.range(get("b")))).containsExactly("b");
    assertThat(keys(store.range(range("b", "d").build()))).containsExactly("b", "c");
    assertThat(keys(store.range(RangeRequest.newBuilder().setKey(bs("b"))
        .setRangeEnd(Requests.ZERO).build()))).containsExactly("b", "c", "d");
    assertThat(keys(store.range(all().build()))).containsExactly("a", "b", "c", "d");
    assertThat(store.range(range("c", "b").build()).getCount()).isZero();
    assertThat(store.range(range("b", "b").build()).getCount()).isZero();
  }

  @Test
  void keysCompareAsUnsignedBytes() {
    store.put(PutRequest.newBuilder().setKey(bs("a").concat(
        com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff}))).build(), leases);
    store.put(put("a\u0001", "x"), leases);
    RangeResponse r = store.range(range("a", "b").build());
    assertThat(r.getKvs(0).getKey().byteAt(1)).isEqualTo((byte) 1);
    assertThat(r.getKvs(1).getKey().byteAt(1)).isEqualTo((byte) 0xff);
  }

  @Test
  void emptyKeyIsRejectedEverywhere() {
    assertEtcdError(() -> store.put(put("", "v"), leases), EtcdError.EMPTY_KEY);
    assertEtcdError(() -> store.range(get("")), EtcdError.EMPTY_KEY);
    assertEtcdError(() -> store.deleteRange(delete("")), EtcdError.EMPTY_KEY);
    assertThat(store.currentRevision()).isEqualTo(1);
  }

  @Test
  void ignoreValueKeepsTheValueAndIgnoreLeaseTheLease() {
    store.put(put("a", "v").toBuilder().setLease(7).build(), leases);
    store.put(PutRequest.newBuilder().setKey(bs("a")).setIgnoreValue(true).setLease(0).build(),
        leases);
    KeyValue kv = store.range(get("a")).getKvs(0);
    assertThat(kv.getValue()).isEqualTo(bs("v"));
    assertThat(kv.getLease()).isZero();
    assertThat(kv.getVersion()).isEqualTo(2);

    store.put(put("a", "w").toBuilder().setLease(7).build(), leases);
    store.put(put("a", "x").toBuilder().setIgnoreLease(true).build(), leases);
    kv = store.range(get("a")).getKvs(0);
    assertThat(kv.getValue()).isEqualTo(bs("x"));
    assertThat(kv.getLease()).isEqualTo(7);
  }

  @Test
  void putErrorsChangeNothing() {
    store.put(put("a", "1"), leases);
    long size = store.sizeBytes();
    assertEtcdError(() -> store.put(PutRequest.newBuilder().setKey(bs("missing"))
        .setIgnoreValue(true).build(), leases), EtcdError.KEY_NOT_FOUND);
    assertEtcdError(() -> store.put(PutRequest.newBuilder().setKey(bs("missing"))
        .setIgnoreLease(true).build(), leases), EtcdError.KEY_NOT_FOUND);
    assertEtcdError(() -> store.put(put("a", "v").toBuilder().setIgnoreValue(true).build(),
        leases), EtcdError.VALUE_PROVIDED);
    assertEtcdError(() -> store.put(put("a", "v").toBuilder().setIgnoreLease(true).setLease(7)
        .build(), leases), EtcdError.LEASE_PROVIDED);
    assertEtcdError(() -> store.put(put("a", "v").toBuilder().setLease(8).build(), leases),
        EtcdError.LEASE_NOT_FOUND);
    assertThat(store.currentRevision()).isEqualTo(2);
    assertThat(store.sizeBytes()).isEqualTo(size);
    assertThat(store.range(get("a")).getKvs(0).getValue()).isEqualTo(bs("1"));
  }

  @Test
  void leaseNotFoundIsCheckedBeforeKeyNotFound() {
    assertEtcdError(() -> store.put(PutRequest.newBuilder().setKey(bs("missing"))
        .setIgnoreValue(true).setLease(8).build(), leases), EtcdError.LEASE_NOT_FOUND);
  }

  @Test
  void deleteRangeDeletesLiveKeysAtOneRevision() {
    for (String k : List.of("a", "b", "c")) {
      store.put(put(k, k), leases);
    }
    store.deleteRange(delete("b")); // 5
    WriteResult<DeleteRangeResponse> del = store.deleteRange(DeleteRangeRequest.newBuilder()
        .setKey(bs("a")).setRangeEnd(Requests.ZERO).setPrevKv(true).build());
    assertThat(del.revision()).isEqualTo(6);
    assertThat(store.currentRevision()).isEqualTo(6);
    assertThat(del.response().getDeleted()).isEqualTo(2);
    assertThat(del.response().getPrevKvsList()).extracting(kv -> kv.getKey().toStringUtf8())
        .containsExactly("a", "c");
    assertThat(del.events()).containsExactly(
        Event.newBuilder().setType(Event.EventType.DELETE)
            .setKv(KeyValue.newBuilder().setKey(bs("a")).setModRevision(6))
            .setPrevKv(del.response().getPrevKvs(0)).build(),
        Event.newBuilder().setType(Event.EventType.DELETE)
            .setKv(KeyValue.newBuilder().setKey(bs("c")).setModRevision(6))
            .setPrevKv(del.response().getPrevKvs(1)).build());
    assertThat(store.range(all().build()).getCount()).isZero();
  }

  @Test
  void deleteWithoutPrevKvReturnsNone() {
    store.put(put("a", "1"), leases);
    DeleteRangeResponse resp = store.deleteRange(delete("a")).response();
    assertThat(resp.getDeleted()).isEqualTo(1);
    assertThat(resp.getPrevKvsList()).isEmpty();
  }

  @Test
  void deletingNothingKeepsTheRevision() {
    store.put(put("a", "1"), leases);
    WriteResult<DeleteRangeResponse> del = store.deleteRange(delete("b"));
    assertThat(del.response().getDeleted()).isZero();
    assertThat(del.revision()).isEqualTo(2);
    assertThat(del.events()).isEmpty();
    assertThat(store.currentRevision()).isEqualTo(2);
    store.deleteRange(delete("a"));
    assertThat(store.deleteRange(delete("a")).revision()).isEqualTo(3);
  }

  @Test
  void sizeGrowsWithEveryRevision() {
    store.put(put("ab", "xyz"), leases);
    assertThat(store.sizeBytes()).isEqualTo(5 + KeyHistory.REVISION_OVERHEAD);
    store.put(put("ab", "x"), leases);
    assertThat(store.sizeBytes()).isEqualTo(5 + 3 + 2 * KeyHistory.REVISION_OVERHEAD);
    store.deleteRange(delete("ab"));
    assertThat(store.sizeBytes()).isEqualTo(5 + 3 + 2 + 3 * KeyHistory.REVISION_OVERHEAD);
  }

  @Test
  void cappedRefusesPutsButAllowsDeletesAndCompactionUntilUncapped() {
    MvccStore small = new MvccStore();
    small.put(put("a", "1"), leases);
    small.put(put("b", "2"), leases);
    small.setCapped(true);
    assertEtcdError(() -> small.put(put("c", "3"), leases), EtcdError.NO_SPACE);
    assertThat(small.currentRevision()).isEqualTo(3);
    assertThat(small.deleteRange(delete("a")).revision()).isEqualTo(4);
    small.compact(io.etcd.jetcd.api.CompactionRequest.newBuilder().setRevision(4).build());
    small.setCapped(false);
    assertThat(small.put(put("c", "3"), leases).revision()).isEqualTo(5);
  }

  @Test
  void noSpaceComesBeforeTheDoorChecks() {
    MvccStore small = new MvccStore();
    small.setCapped(true);
    assertEtcdError(() -> small.put(put("", "1"), leases), EtcdError.NO_SPACE);
  }

  @Test
  void dbSizeKeepsWhatACompactionFreedUntilADefragment() {
    MvccStore s = new MvccStore();
    s.put(put("a", "1"), leases);
    s.put(put("a", "2"), leases);
    s.put(put("a", "3"), leases);
    long before = s.sizeBytes();
    assertThat(s.dbSizeBytes()).isEqualTo(before);
    s.compact(io.etcd.jetcd.api.CompactionRequest.newBuilder().setRevision(4).build());
    assertThat(s.sizeBytes()).isLessThan(before);
    assertThat(s.dbSizeBytes()).isEqualTo(before);
    s.defragment();
    assertThat(s.dbSizeBytes()).isEqualTo(s.sizeBytes());
  }
}
