package keel.server.mvcc;

import static keel.server.mvcc.Requests.bs;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.KeyValue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worked example of {@link KeyHistory}'s comment. */
class KeyHistoryTest {
  private static KeyValue kv(String v, long mod) {
    return KeyValue.newBuilder().setKey(bs("foo")).setValue(bs(v)).setModRevision(mod).build();
  }

  private static KeyHistory example() {
    KeyHistory h = new KeyHistory();
    h.append(new Revision(2, 0), kv("v1", 2));
    h.append(new Revision(3, 0), kv("v2", 3));
    h.append(new Revision(4, 0), null);
    h.append(new Revision(5, 0), kv("v1", 5));
    h.append(new Revision(6, 0), null);
    return h;
  }

  private static List<String> revisions(KeyHistory h) {
    return h.entries().stream()
        .map(e -> e.revision() + (e.isTombstone() ? "t" : "")).toList();
  }

  @Test
  void readsAtEachRevision() {
    KeyHistory h = example();
    assertThat(h.liveAt(1)).isNull();
    assertThat(h.liveAt(3).getModRevision()).isEqualTo(3);
    assertThat(h.liveAt(4)).isNull();
    assertThat(h.liveAt(5).getModRevision()).isEqualTo(5);
    assertThat(h.liveAt(100)).isNull();
    assertThat(h.latest()).isNull();
  }

  @Test
  void compactionAsInTheComment() {
    KeyHistory h = example();
    h.compact(3);
    assertThat(revisions(h)).containsExactly("3.0", "4.0t", "5.0", "6.0t");
    h.compact(4);
    assertThat(revisions(h)).containsExactly("4.0t", "5.0", "6.0t");
    h.compact(5);
    assertThat(revisions(h)).containsExactly("5.0", "6.0t");
    h.compact(6);
    assertThat(revisions(h)).containsExactly("6.0t");
    h.compact(7);
    assertThat(h.isEmpty()).isTrue();
  }

  @Test
  void compactionBetweenGenerations() {
    KeyHistory h = example();
    h.compact(1);
    assertThat(revisions(h)).hasSize(5);
    KeyHistory g = example();
    assertThat(g.compact(7)).hasSize(5);
    assertThat(g.isEmpty()).isTrue();
  }

  @Test
  void truncateTakesOutOneTransaction() {
    KeyHistory h = example();
    h.truncateFrom(6);
    assertThat(revisions(h)).containsExactly("2.0", "3.0", "4.0t", "5.0");
    assertThat(h.latest().getModRevision()).isEqualTo(5);
  }
}
