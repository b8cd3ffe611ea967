package keel.server.mvcc;

import static keel.server.mvcc.Requests.all;
import static keel.server.mvcc.Requests.bs;
import static keel.server.mvcc.Requests.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.RangeRequest.SortOrder;
import io.etcd.jetcd.api.RangeRequest.SortTarget;
import io.etcd.jetcd.api.RangeResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sorting, filters, limit, more, count, keys_only and count_only of a range. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RangeQueryTest {
  private final MvccStore store = new MvccStore();

  /**
   * Revisions: 2 c=3, 3 a=1, 4 b=2, 5 d=1, 6 a=9 (a: version 2, create 3, mod 6).
   * key:     a     b     c     d
   * value:   9     2     3     1
   * version: 2     1     1     1
   * create:  3     4     2     5
   * mod:     6     4     2     5
   */
  @BeforeEach
  void fill() {
    store.put(put("c", "3"), LeaseLookup.NONE);
    store.put(put("a", "1"), LeaseLookup.NONE);
    store.put(put("b", "2"), LeaseLookup.NONE);
    store.put(put("d", "1"), LeaseLookup.NONE);
    store.put(put("a", "9"), LeaseLookup.NONE);
  }

  private static List<String> keys(RangeResponse r) {
    return r.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
  }

  private List<String> sorted(SortTarget target, SortOrder order) {
    return keys(store.range(all().setSortTarget(target).setSortOrder(order).build()));
  }

  @Test
  void keyOrderByDefault() {
    assertThat(sorted(SortTarget.KEY, SortOrder.NONE)).containsExactly("a", "b", "c", "d");
    assertThat(sorted(SortTarget.KEY, SortOrder.DESCEND)).containsExactly("d", "c", "b", "a");
  }

  @Test
  void otherTargetsWithOrderNoneSortAscending() {
    assertThat(sorted(SortTarget.CREATE, SortOrder.NONE)).containsExactly("c", "a", "b", "d");
    assertThat(sorted(SortTarget.MOD, SortOrder.NONE)).containsExactly("c", "b", "d", "a");
  }

  @Test
  void sortsAreStableFromKeyOrder() {
    // versions 2,1,1,1: ties stay in key order both ways
    assertThat(sorted(SortTarget.VERSION, SortOrder.ASCEND)).containsExactly("b", "c", "d", "a");
    assertThat(sorted(SortTarget.VERSION, SortOrder.DESCEND)).containsExactly("a", "b", "c", "d");
    // values 9,2,3,1
    assertThat(sorted(SortTarget.VALUE, SortOrder.ASCEND)).containsExactly("d", "b", "c", "a");
    assertThat(sorted(SortTarget.VALUE, SortOrder.DESCEND)).containsExactly("a", "c", "b", "d");
    assertThat(sorted(SortTarget.MOD, SortOrder.DESCEND)).containsExactly("a", "d", "b", "c");
    assertThat(sorted(SortTarget.CREATE, SortOrder.DESCEND)).containsExactly("d", "b", "a", "c");
  }

  @Test
  void limitTruncatesAfterSortAndSetsMore() {
    RangeResponse r = store.range(all().setLimit(2).build());
    assertThat(keys(r)).containsExactly("a", "b");
    assertThat(r.getMore()).isTrue();
    assertThat(r.getCount()).isEqualTo(4);

    r = store.range(all().setLimit(2).setSortTarget(SortTarget.MOD)
        .setSortOrder(SortOrder.DESCEND).build());
    assertThat(keys(r)).containsExactly("a", "d");
    assertThat(r.getMore()).isTrue();

    r = store.range(all().setLimit(4).build());
    assertThat(r.getMore()).isFalse();
    assertThat(r.getKvsCount()).isEqualTo(4);
    r = store.range(all().setLimit(-1).build());
    assertThat(r.getKvsCount()).isEqualTo(4);
    assertThat(r.getMore()).isFalse();
  }

  @Test
  void filtersDropKvsButNotTheCount() {
    RangeResponse r = store.range(all().setMinModRevision(4).setMaxModRevision(5).build());
    assertThat(keys(r)).containsExactly("b", "d");
    assertThat(r.getCount()).isEqualTo(4);
    assertThat(keys(store.range(all().setMinCreateRevision(4).build()))).containsExactly("b", "d");
    assertThat(keys(store.range(all().setMaxCreateRevision(3).build()))).containsExactly("a", "c");
  }

  @Test
  void moreCountsOnlyKeysDroppedByTheLimit() {
    RangeResponse r = store.range(all().setMinCreateRevision(4).setLimit(2).build());
    assertThat(keys(r)).containsExactly("b", "d");
    assertThat(r.getMore()).isFalse();
    assertThat(r.getCount()).isEqualTo(4);
  }

  @Test
  void keysOnlyDropsValuesAfterSortingByValue() {
    RangeResponse r = store.range(all().setKeysOnly(true).setSortTarget(SortTarget.VALUE)
        .build());
    assertThat(keys(r)).containsExactly("d", "b", "c", "a");
    assertThat(r.getKvsList()).allSatisfy(kv -> assertThat(kv.getValue().isEmpty()).isTrue());
    assertThat(r.getKvs(3).getVersion()).isEqualTo(2);
  }

  @Test
  void countOnlyReturnsNoKvs() {
    RangeResponse r = store.range(all().setCountOnly(true).setLimit(1).build());
    assertThat(r.getCount()).isEqualTo(4);
    assertThat(r.getKvsList()).isEmpty();
    assertThat(r.getMore()).isFalse();
    assertThat(store.range(all().setCountOnly(true).setRevision(3).build()).getCount())
        .isEqualTo(2);
  }

  @Test
  void countIsAtTheRequestedRevision() {
    RangeResponse r = store.range(Requests.range("a", "c").setRevision(3).build());
    assertThat(r.getCount()).isEqualTo(1);
    assertThat(r.getKvs(0).getValue()).isEqualTo(bs("1"));
  }
}
