package keel.server.mvcc;

import static keel.server.mvcc.Requests.all;
import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.get;
import static keel.server.mvcc.Requests.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeResponse;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CompactionTest {
  private final MvccStore store = new MvccStore();

  /** foo: put 2, put 3, delete 4, put 5, delete 6; bar: put 7; current revision 7. */
  @BeforeEach
  void fill() {
    store.put(put("foo", "1"), LeaseLookup.NONE);
    store.put(put("foo", "2"), LeaseLookup.NONE);
    store.deleteRange(delete("foo"));
    store.put(put("foo", "3"), LeaseLookup.NONE);
    store.deleteRange(delete("foo"));
    store.put(put("bar", "1"), LeaseLookup.NONE);
    assertThat(store.currentRevision()).isEqualTo(7);
  }

  private WriteResult<CompactionResponse> compact(long rev) {
    return store.compact(CompactionRequest.newBuilder().setRevision(rev).build());
  }

  private RangeResponse at(String key, long rev) {
    return store.range(get(key).toBuilder().setRevision(rev).build());
  }

  @Test
  void compactReportsTheCurrentRevisionAndKeepsIt() {
    WriteResult<CompactionResponse> result = compact(3);
    assertThat(result.revision()).isEqualTo(7);
    assertThat(result.events()).isEmpty();
    assertThat(store.currentRevision()).isEqualTo(7);
    assertThat(store.compactRevision()).isEqualTo(3);
  }

  @Test
  void readsBelowTheCompactRevisionFailButAtItWork() {
    compact(3);
    assertEtcdError(() -> at("foo", 2), EtcdError.COMPACTED);
    assertThat(at("foo", 3).getKvs(0).getValue()).isEqualTo(bs("2"));
    assertThat(at("foo", 4).getCount()).isZero();
    assertThat(at("foo", 5).getKvs(0)).isEqualTo(KeyValue.newBuilder().setKey(bs("foo"))
        .setValue(bs("3")).setCreateRevision(5).setModRevision(5).setVersion(1).build());
    assertThat(store.range(all().build()).getCount()).isEqualTo(1);
  }

  @Test
  void compactingAgainAtOrBelowIsCompacted() {
    compact(3);
    assertEtcdError(() -> compact(3), EtcdError.COMPACTED);
    assertEtcdError(() -> compact(2), EtcdError.COMPACTED);
    assertThat(store.compactRevision()).isEqualTo(3);
  }

  @Test
  void compactingTheFutureIsFutureRev() {
    assertEtcdError(() -> compact(8), EtcdError.FUTURE_REV);
    assertThat(store.compactRevision()).isEqualTo(-1);
    compact(7);
    assertThat(store.range(all().build()).getCount()).isEqualTo(1);
    assertThat(at("bar", 7).getCount()).isEqualTo(1);
  }

  @Test
  void compactionDropsHistoryAndShrinksTheStore() {
    long overhead = KeyHistory.REVISION_OVERHEAD;
    long fooPut = 3 + 1 + overhead;
    long fooTomb = 3 + overhead;
    long barPut = 3 + 1 + overhead;
    assertThat(store.sizeBytes()).isEqualTo(3 * fooPut + 2 * fooTomb + barPut);
    compact(3); // keeps foo 3, 4t, 5, 6t
    assertThat(store.sizeBytes()).isEqualTo(2 * fooPut + 2 * fooTomb + barPut);
    compact(4); // keeps foo 4t (at exactly the compact revision), 5, 6t
    assertThat(store.sizeBytes()).isEqualTo(fooPut + 2 * fooTomb + barPut);
    compact(5); // keeps foo 5, 6t
    assertThat(store.sizeBytes()).isEqualTo(fooPut + fooTomb + barPut);
    assertThat(at("foo", 5).getCount()).isEqualTo(1);
    compact(7); // foo's last generation ended below 7: gone
    assertThat(store.sizeBytes()).isEqualTo(barPut);
  }

  @Test
  void keyRecreatedAfterCompactionStartsOver() {
    compact(7);
    store.put(put("foo", "again"), LeaseLookup.NONE);
    KeyValue kv = store.range(get("foo")).getKvs(0);
    assertThat(kv.getVersion()).isEqualTo(1);
    assertThat(kv.getCreateRevision()).isEqualTo(8);
  }

  @Test
  void compactionKeepsTheVersionOfSurvivingKeys() {
    store.put(put("bar", "2"), LeaseLookup.NONE); // 8
    compact(8);
    store.put(put("bar", "3"), LeaseLookup.NONE); // 9
    KeyValue kv = store.range(get("bar")).getKvs(0);
    assertThat(kv.getVersion()).isEqualTo(3);
    assertThat(kv.getCreateRevision()).isEqualTo(7);
  }

  @Test
  void deletesAndPutsWorkAfterCompaction() {
    compact(7);
    assertThat(store.deleteRange(delete("bar")).revision()).isEqualTo(8);
    assertThat(at("bar", 7).getCount()).isEqualTo(1);
    assertThat(at("bar", 8).getCount()).isZero();
  }
}
