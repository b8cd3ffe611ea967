package keel.client.cache;

import static keel.client.support.Kvs.bytes;
import static keel.client.support.Kvs.kv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.util.List;
import java.util.TreeMap;
import keel.client.support.KeyOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CacheDiffTest {
  private static TreeMap<ByteSequence, KeyValue> view(KeyValue... kvs) {
    TreeMap<ByteSequence, KeyValue> map = new TreeMap<>(KeyOrder.UNSIGNED);
    for (KeyValue kv : kvs) {
      map.put(kv.getKey(), kv);
    }
    return map;
  }

  @Test
  void theWorkedExample() {
    List<CacheChange> diff = CacheDiff.between(
        view(kv("a", "1", 5, 5), kv("b", "1", 6, 6), kv("c", "1", 7, 7)),
        view(kv("a", "1", 5, 5), kv("b", "2", 6, 9), kv("d", "1", 10, 10)), 12);
    assertThat(diff).extracting(CacheChange::toString).containsExactly("PUT b@9", "DELETE c@12", "PUT d@10");
    assertThat(diff.get(0).value().getValue()).isEqualTo(bytes("2"));
    assertThat(diff.get(1).value().getValue()).as("a DELETE carries what was held").isEqualTo(bytes("1"));
  }

  @Test
  void aKeyRecreatedWithTheSameValueIsAPut() {
    List<CacheChange> diff = CacheDiff.between(view(kv("a", "1", 5, 5)), view(kv("a", "1", 8, 8)), 8);
    assertThat(diff).extracting(CacheChange::toString).containsExactly("PUT a@8");
  }

  @Test
  void equalViewsHaveNoDiffAndEmptyOnesToo() {
    assertThat(CacheDiff.between(view(kv("a", "1", 5, 5)), view(kv("a", "1", 5, 5)), 9)).isEmpty();
    assertThat(CacheDiff.between(view(), view(), 9)).isEmpty();
    assertThat(CacheDiff.between(view(), view(kv("x", "1", 2, 2)), 9)).extracting(CacheChange::toString)
        .containsExactly("PUT x@2");
    assertThat(CacheDiff.between(view(kv("x", "1", 2, 2)), view(), 9)).extracting(CacheChange::toString)
        .containsExactly("DELETE x@9");
  }

  @Test
  void aDiffFollowsUnsignedKeyOrder() {
    List<CacheChange> diff = CacheDiff.between(view(),
        view(kv("\u00ff", "1", 3, 3), kv("a", "1", 2, 2), kv("a\u0000", "1", 4, 4)), 4);
    assertThat(diff).extracting(c -> c.key()).containsExactly(bytes("a"), bytes("a\u0000"), bytes("\u00ff"));
  }

  @Test
  void aSnapshotIsSortedUnsignedAndImmutable() {
    TreeMap<ByteSequence, KeyValue> otherOrder = new TreeMap<>(KeyOrder.UNSIGNED.reversed());
    otherOrder.put(bytes("\u00ff"), kv("\u00ff", "1", 3, 3));
    otherOrder.put(bytes("b"), kv("b", "1", 2, 2));
    CacheSnapshot snapshot = new CacheSnapshot(3, otherOrder);
    assertThat(snapshot.entries().keySet()).containsExactly(bytes("b"), bytes("\u00ff"));
    assertThatThrownBy(() -> snapshot.entries().clear()).isInstanceOf(UnsupportedOperationException.class);
    TreeMap<ByteSequence, KeyValue> source = view(kv("a", "1", 1, 1));
    CacheSnapshot copied = new CacheSnapshot(1, source);
    source.clear();
    assertThat(copied.size()).isEqualTo(1);
  }
}
