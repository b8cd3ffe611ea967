package keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.junit.jupiter.api.Test;

/**
 * A request built across a move of the follower's next index is built again, one that cannot name
 * its previous entry gives way to the snapshot; nothing else is hidden.
 */
class RaceSafeLogAppenderTest {
  @Test
  void aCheckThatFailedWhileTheNextIndexMovedMeansBuildAgain() throws Exception {
    AtomicLong next = new AtomicLong(808);
    String built = RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> false, () -> {
      next.set(812); // a reply handled meanwhile
      throw new IllegalStateException("m2: Previous = (t:2, i:807) but firstIndex = 812");
    });
    assertThat(built).as("nothing to send this turn").isNull();
  }

  @Test
  void anyOtherFailureIsRatissOwn() throws Exception {
    AtomicLong next = new AtomicLong(808);
    assertThatThrownBy(() -> RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> false, () -> {
      throw new IllegalStateException("buffer has 3 elements.");
    })).isInstanceOf(IllegalStateException.class).hasMessageContaining("buffer");
    assertThat(RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> false, () -> "request")).isEqualTo("request");
  }

  @Test
  void anAppendThatCannotNameItsPreviousEntryGivesWayToTheSnapshot() throws Exception {
    AtomicLong next = new AtomicLong(299222);
    String built = RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> true, () -> {
      throw new NullPointerException("m1->m3: Previous TermIndex not found for firstIndex = 299222");
    });
    assertThat(built).as("nothing to send this turn; the snapshot goes next").isNull();
    // The same failure while the previous entry is still known is Ratis's own.
    assertThatThrownBy(() -> RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> false, () -> {
      throw new NullPointerException("m1->m3: Previous TermIndex not found for firstIndex = 299222");
    })).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aFollowerWhosePreviousEntryWasPurgedGetsTheSnapshot() {
    // As in the torture run: m3 restarted with its log ending at 299221; the leader's log starts
    // at 299222 (the segment before was purged) and its snapshot ends at 300004.
    assertThat(RaceSafeLogAppender.previousIsGone(299222, 431000, 0, 300004)).isTrue();
    // The previous entry is the snapshot's last, or right after an installed snapshot: an append
    // can name it.
    assertThat(RaceSafeLogAppender.previousIsGone(300005, 431000, 0, 300004)).isFalse();
    assertThat(RaceSafeLogAppender.previousIsGone(299222, 431000, 299221, 300004)).isFalse();
    // Nothing to send, or no previous entry at all, or a snapshot that ends before the gap.
    assertThat(RaceSafeLogAppender.previousIsGone(431000, 431000, 0, 300004)).isFalse();
    assertThat(RaceSafeLogAppender.previousIsGone(0, 431000, 0, 300004)).isFalse();
    assertThat(RaceSafeLogAppender.previousIsGone(299222, 431000, 0, 299000)).isFalse();
  }

  @Test
  void ratisFindsKeelsTransportByItsName() {
    RaftProperties properties = new RaftProperties();
    RaftConfigKeys.Rpc.setType(properties, new KeelRpcType());
    assertThat(RaftConfigKeys.Rpc.type(properties, s -> {})).isInstanceOf(KeelRpcType.class);
  }
}
