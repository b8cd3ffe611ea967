package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import keel.torture.workload.WatchedEvent;
import org.junit.jupiter.api.Test;

class WatchCheckerTest {
  private static final CommittedHistory COMMITTED = new CommittedHistory(List.of(
      put(2, "reg/a", "1", null),
      put(3, "reg/b", "2", null),
      put(4, "reg/a", "3", "1"),
      put(5, "lease/x", "x", null),
      delete(6, "reg/b", "2"),
      put(7, "reg/b", "4", null)));

  @Test
  void anUnbrokenRunOfTheCommittedHistoryIsValid() {
    List<WatchedEvent> all = COMMITTED.under("reg/");
    assertThat(WatchChecker.check("w", all, COMMITTED, "reg/", 2).valid()).isTrue();
    assertThat(WatchChecker.check("w", all.subList(0, 2), COMMITTED, "reg/", 2).valid())
        .as("a stream that ended early").isTrue();
    assertThat(WatchChecker.check("w", all.subList(2, 5), COMMITTED, "reg/", 4).valid())
        .as("a stream that started later").isTrue();
  }

  @Test
  void aMissingEventIsAGap() {
    List<WatchedEvent> stream = new ArrayList<>(COMMITTED.under("reg/"));
    stream.remove(2);
    Verdict v = WatchChecker.check("w", stream, COMMITTED, "reg/", 2);
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("gap").contains("rev 6 DELETE reg/b").contains("rev 4 PUT reg/a=3");
    assertThat(v.excerpt()).anyMatch(line -> line.contains("rev 4 PUT reg/a=3"));
  }

  @Test
  void anEventDeliveredTwiceIsADuplicate() {
    List<WatchedEvent> stream = new ArrayList<>(COMMITTED.under("reg/"));
    stream.add(2, stream.get(1));
    Verdict v = WatchChecker.check("w", stream, COMMITTED, "reg/", 2);
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("duplicate or out of order");
  }

  @Test
  void anEventThatWasNeverCommittedIsReported() {
    List<WatchedEvent> stream = new ArrayList<>(COMMITTED.under("reg/"));
    stream.set(1, put(3, "reg/b", "99", null));
    Verdict v = WatchChecker.check("w", stream, COMMITTED, "reg/", 2);
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("differs from the committed");
    stream.set(1, put(3, "reg/zz", "2", null));
    assertThat(WatchChecker.check("w", stream, COMMITTED, "reg/", 2).summary()).contains("never committed");
  }

  @Test
  void aWrongPreviousValueIsReported() {
    List<WatchedEvent> stream = new ArrayList<>(COMMITTED.under("reg/"));
    stream.set(2, put(4, "reg/a", "3", null));
    assertThat(WatchChecker.check("w", stream, COMMITTED, "reg/", 2).failed()).isTrue();

    CommittedHistory inconsistent = new CommittedHistory(List.of(put(2, "reg/a", "1", null), put(3, "reg/a", "2", "7")));
    Verdict v = WatchChecker.check("w", List.of(), inconsistent, "reg/", 2);
    assertThat(v.failed()).isTrue();
    assertThat(v.summary()).contains("previous value 7").contains("held 1");
  }

  @Test
  void moreEventsThanWereCommittedAreReported() {
    List<WatchedEvent> stream = new ArrayList<>(COMMITTED.under("reg/"));
    stream.add(put(9, "reg/c", "5", null));
    assertThat(WatchChecker.check("w", stream, COMMITTED, "reg/", 2).summary()).contains("beyond");
  }

  static WatchedEvent put(long revision, String key, String value, String prev) {
    return new WatchedEvent(revision, revision, true, key, value, prev);
  }

  static WatchedEvent delete(long revision, String key, String prev) {
    return new WatchedEvent(revision, revision, false, key, null, prev);
  }
}
