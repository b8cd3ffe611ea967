package keel.server.mvcc;

import static keel.server.mvcc.Requests.bs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.api.KeyValue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worked example of {@link KeyHistory}'s comment. */
class KeyHistoryTest {
  private static KeyValue kv(String v, long mod) {
    return KeyValue.newBuilder().setKey(bs("foo")).setValue(bs(v)).setModRevision(mod).build();
  }

  private static KeyHistory example() {
    KeyHistory h = new KeyHistory(bs("foo"));
    h.appendPut(2, 0, kv("v1", 2));
    h.appendPut(3, 0, kv("v2", 3));
    h.appendTombstone(4, 0);
    h.appendPut(5, 0, kv("v1", 5));
    h.appendTombstone(6, 0);
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
    assertThat(g.compact(7)).as("five revisions' charged size").isEqualTo(3 * (3 + 2) + 2 * 3 + 5 * KeyHistory.REVISION_OVERHEAD);
    assertThat(g.isEmpty()).isTrue();
  }

  @Test
  void truncateTakesOutOneTransaction() {
    KeyHistory h = example();
    h.truncateFrom(6);
    assertThat(revisions(h)).containsExactly("2.0", "3.0", "4.0t", "5.0");
    assertThat(h.latest().getModRevision()).isEqualTo(5);
  }

  @Test
  void aPutReadsBackAsTheKeyValueStored() {
    KeyValue stored = KeyValue.newBuilder().setKey(bs("foo")).setValue(bs("some value"))
        .setCreateRevision(3).setModRevision(9).setVersion(4).setLease(0x7fff_0000_0000_1234L).build();
    KeyHistory h = new KeyHistory(bs("foo"));
    h.appendPut(9, 2, stored);
    assertThat(h.liveAt(9)).isEqualTo(stored);
    assertThat(h.latest()).isEqualTo(stored);
    assertThat(h.entries()).containsExactly(new KeyHistory.Entry(new Revision(9, 2), stored));
    assertThat(h.eventAt(9, 2).getKv()).isEqualTo(stored);
    assertThat(h.eventAt(9, 1)).isNull();
  }

  @Test
  void aPutAtAnotherRevisionThanItsModRevisionIsRefused() {
    KeyHistory h = new KeyHistory(bs("foo"));
    assertThatThrownBy(() -> h.appendPut(4, 0, kv("v", 3))).isInstanceOf(IllegalArgumentException.class);
    assertThat(h.isEmpty()).isTrue();
  }

  @Test
  void revisionsGoOnlyForward() {
    KeyHistory h = example();
    assertThatThrownBy(() -> h.appendTombstone(6, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> h.appendPut(5, 3, kv("v", 5))).isInstanceOf(IllegalStateException.class);
    h.appendPut(6, 1, kv("v3", 6));
    assertThat(revisions(h)).endsWith("6.0t", "6.1");
  }

  @Test
  void growsFromOneEntryAndShrinksBackToOne() {
    KeyHistory h = new KeyHistory(bs("foo"));
    for (int rev = 2; rev < 40; rev++) {
      h.appendPut(rev, 0, kv("v" + rev, rev));
    }
    assertThat(h.size()).isEqualTo(38);
    h.compact(39);
    assertThat(revisions(h)).containsExactly("39.0");
    h.appendTombstone(40, 0);
    h.appendPut(41, 0, kv("again", 41));
    assertThat(revisions(h)).containsExactly("39.0", "40.0t", "41.0");
    assertThat(h.liveAt(39).getValue()).isEqualTo(bs("v39"));
    assertThat(h.liveAt(40)).isNull();
    assertThat(h.eventAt(41, 0).hasPrevKv()).as("a tombstone before it").isFalse();
    h.truncateFrom(40);
    assertThat(revisions(h)).containsExactly("39.0");
    assertThat(h.isLive()).isTrue();
  }

  @Test
  void recordsTakenEarlierStayAsTheyWere() {
    KeyHistory h = example();
    byte[][] then = h.records();
    h.compact(6);
    h.appendPut(7, 0, kv("v7", 7));
    assertThat(then.length).isEqualTo(5);
    assertThat(RevisionRecord.main(then[0])).isEqualTo(2);
    assertThat(RevisionRecord.toKeyValue(then[1], bs("foo")).getValue()).isEqualTo(bs("v2"));
    assertThat(RevisionRecord.isTombstone(then[4])).isTrue();
  }
}
