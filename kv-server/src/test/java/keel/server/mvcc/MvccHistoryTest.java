package keel.server.mvcc;

import static keel.server.mvcc.Requests.ZERO;
import static keel.server.mvcc.Requests.assertEtcdError;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.delete;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.TxnRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link MvccStore#events}: the history a watcher catches up from. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MvccHistoryTest {
  private final MvccStore store = new MvccStore();

  /**
   * 2 put a=1 | 3 put b=1 | 4 put a=2 | 5 txn(put c=1, put a=3) | 6 delete a | 7 put z=1 |
   * 8 delete [b, d) (b and c, sub 0 and 1).
   */
  @BeforeEach
  void fill() {
    store.put(put("a", "1"), LeaseLookup.NONE);
    store.put(put("b", "1"), LeaseLookup.NONE);
    store.put(put("a", "2"), LeaseLookup.NONE);
    store.txn(TxnRequest.newBuilder().addSuccess(op(put("c", "1"))).addSuccess(op(put("a", "3"))).build(),
        LeaseLookup.NONE);
    store.deleteRange(delete("a"));
    store.put(put("z", "1"), LeaseLookup.NONE);
    store.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("b")).setRangeEnd(bs("d")).build());
    assertThat(store.currentRevision()).isEqualTo(8);
  }

  private static String show(Event e) {
    String s = e.getType() + " " + e.getKv().getKey().toStringUtf8() + "@" + e.getKv().getModRevision();
    if (e.getType() == Event.EventType.PUT) {
      s += "=" + e.getKv().getValue().toStringUtf8();
    }
    if (e.hasPrevKv()) {
      s += " prev=" + e.getPrevKv().getValue().toStringUtf8() + "@" + e.getPrevKv().getModRevision();
    }
    return s;
  }

  private List<String> events(String key, ByteString end, long from, long to, int limit) {
    return store.events(bs(key), end, from, to, limit).events().stream().map(MvccHistoryTest::show).toList();
  }

  @Test
  void everyKeyInRevisionThenSubRevisionOrderWithPrevKv() {
    assertThat(events("\0", ZERO, 1, 100, 100)).containsExactly(
        "PUT a@2=1",
        "PUT b@3=1",
        "PUT a@4=2 prev=1@2",
        "PUT c@5=1",
        "PUT a@5=3 prev=2@4",
        "DELETE a@6 prev=3@5",
        "PUT z@7=1",
        "DELETE b@8 prev=1@3",
        "DELETE c@8 prev=1@5");
    // the DELETE kv carries only key and mod_revision, as etcd's kvsToEvents
    Event delete = store.events(bs("a"), ByteString.EMPTY, 6, 6, 10).events().get(0);
    assertThat(delete.getKv().getCreateRevision()).isZero();
    assertThat(delete.getKv().getVersion()).isZero();
  }

  @Test
  void rangeRulesAsRange() {
    assertThat(events("a", ByteString.EMPTY, 1, 100, 100))
        .containsExactly("PUT a@2=1", "PUT a@4=2 prev=1@2", "PUT a@5=3 prev=2@4", "DELETE a@6 prev=3@5");
    assertThat(events("b", bs("d"), 1, 100, 100))
        .containsExactly("PUT b@3=1", "PUT c@5=1", "DELETE b@8 prev=1@3", "DELETE c@8 prev=1@5");
    assertThat(events("c", ZERO, 1, 100, 100))
        .containsExactly("PUT c@5=1", "PUT z@7=1", "DELETE c@8 prev=1@5");
    assertThat(events("d", bs("b"), 1, 100, 100)).isEmpty();
  }

  @Test
  void boundsAreInclusiveAndCappedAtTheCurrentRevision() {
    assertThat(events("\0", ZERO, 4, 5, 100)).containsExactly("PUT a@4=2 prev=1@2", "PUT c@5=1", "PUT a@5=3 prev=2@4");
    EventPage page = store.events(bs("\0"), ZERO, 7, 1000, 100);
    assertThat(page.nextRevision()).isEqualTo(9);
    assertThat(store.events(bs("\0"), ZERO, 9, 1000, 100).events()).isEmpty();
  }

  @Test
  void pagesEndBetweenRevisionsNeverInsideOne() {
    EventPage first = store.events(bs("\0"), ZERO, 1, 8, 4);
    // four events reach into revision 5; its second event comes along, revision 6 starts the next page
    assertThat(first.events().stream().map(MvccHistoryTest::show))
        .containsExactly("PUT a@2=1", "PUT b@3=1", "PUT a@4=2 prev=1@2", "PUT c@5=1", "PUT a@5=3 prev=2@4");
    assertThat(first.nextRevision()).isEqualTo(6);
    EventPage second = store.events(bs("\0"), ZERO, first.nextRevision(), 8, 4);
    assertThat(second.events()).hasSize(4);
    assertThat(second.nextRevision()).isEqualTo(9);
    EventPage single = store.events(bs("a"), ByteString.EMPTY, 1, 8, 2);
    assertThat(single.events()).hasSize(2);
    assertThat(single.nextRevision()).isEqualTo(5);
  }

  @Test
  void compactedBelowTheCompactRevisionButNotAtIt() {
    store.compact(CompactionRequest.newBuilder().setRevision(5).build());
    assertEtcdError(() -> store.events(bs("\0"), ZERO, 4, 8, 100), EtcdError.COMPACTED);
    // at the compact revision: its events stay; prev_kv from before it is gone, as etcd's range fails
    assertThat(events("\0", ZERO, 5, 100, 100)).containsExactly(
        "PUT c@5=1", "PUT a@5=3", "DELETE a@6 prev=3@5", "PUT z@7=1", "DELETE b@8 prev=1@3",
        "DELETE c@8 prev=1@5");
  }

  @Test
  void deleteAtExactlyTheCompactRevisionIsGoneFromHistoryAsInEtcd() {
    store.compact(CompactionRequest.newBuilder().setRevision(6).build());
    assertThat(events("\0", ZERO, 6, 100, 100)).containsExactly(
        "PUT z@7=1", "DELETE b@8 prev=1@3", "DELETE c@8 prev=1@5");
    assertThat(events("a", ByteString.EMPTY, 6, 100, 100)).isEmpty();
  }

  @Test
  void rolledBackTxnLeavesNoHistory() {
    TxnRequest failing = TxnRequest.newBuilder()
        .addSuccess(op(put("q", "1")))
        .addSuccess(op(io.etcd.jetcd.api.PutRequest.newBuilder().setKey(bs("missing")).setIgnoreValue(true).build()))
        .build();
    assertEtcdError(() -> store.txn(failing, LeaseLookup.NONE), EtcdError.KEY_NOT_FOUND);
    store.put(put("q", "2"), LeaseLookup.NONE);
    assertThat(events("q", ByteString.EMPTY, 1, 100, 100)).containsExactly("PUT q@9=2");
  }

  @Test
  void snapshotKeepsHistory() throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    store.writeTo(out);
    MvccStore copy = MvccStore.readFrom(new java.io.ByteArrayInputStream(out.toByteArray()));
    assertThat(copy.events(bs("\0"), ZERO, 1, 100, 100)).isEqualTo(store.events(bs("\0"), ZERO, 1, 100, 100));
  }
}
