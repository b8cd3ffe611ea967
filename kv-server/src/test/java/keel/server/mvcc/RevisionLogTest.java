package keel.server.mvcc;

import static keel.server.mvcc.Requests.bs;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.KeyValue;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RevisionLogTest {
  private static KeyValue kv(String key, long mod) {
    return KeyValue.newBuilder().setKey(bs(key)).setValue(bs("v")).setModRevision(mod).build();
  }

  private static List<String> revisions(RevisionLog log) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < log.size(); i++) {
      out.add(log.main(i) + "." + log.sub(i) + " " + log.history(i).key().toStringUtf8());
    }
    return out;
  }

  @Test
  void compactionKeepsWhatTheHistoriesStillHoldAndEverythingAbove() {
    KeyHistory a = new KeyHistory(bs("a"));
    KeyHistory b = new KeyHistory(bs("b"));
    RevisionLog log = new RevisionLog();
    for (long rev = 2; rev <= 100; rev++) {
      KeyHistory h = rev % 2 == 0 ? a : b;
      h.appendPut(rev, 0, kv(h.key().toStringUtf8(), rev));
      log.append(rev, 0, h);
    }
    a.compact(50);
    b.compact(50);
    log.compact(50);
    assertThat(log.size()).as("49 and 50 to 100").isEqualTo(52);
    assertThat(revisions(log).subList(0, 3)).containsExactly("49.0 b", "50.0 a", "51.0 b");
    assertThat(log.firstAtOrAbove(51)).isEqualTo(2);
    assertThat(log.firstAtOrAbove(101)).isEqualTo(52);
    assertThat(log.firstAtOrAbove(0)).isZero();
  }

  @Test
  void aRollbackTakesOffTheNewestRevisions() {
    KeyHistory a = new KeyHistory(bs("a"));
    RevisionLog log = new RevisionLog();
    log.append(2, 0, a);
    log.append(3, 0, a);
    log.append(3, 1, a);
    log.truncateFrom(3);
    assertThat(revisions(log)).containsExactly("2.0 a");
    log.append(3, 0, a);
    assertThat(revisions(log)).containsExactly("2.0 a", "3.0 a");
  }

  @Test
  void sortPutsAppendsInKeyOrderIntoRevisionOrder() {
    KeyHistory a = new KeyHistory(bs("a"));
    KeyHistory b = new KeyHistory(bs("b"));
    RevisionLog log = new RevisionLog();
    log.append(2, 0, a);
    log.append(4, 1, a);
    log.append(3, 0, b);
    log.append(4, 0, b);
    log.sort();
    assertThat(revisions(log)).containsExactly("2.0 a", "3.0 b", "4.0 b", "4.1 a");
  }
}
