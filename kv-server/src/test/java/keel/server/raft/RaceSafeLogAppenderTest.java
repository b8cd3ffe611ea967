package keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.junit.jupiter.api.Test;

/** A request built across a move of the follower's next index is built again; nothing else is hidden. */
class RaceSafeLogAppenderTest {
  @Test
  void aCheckThatFailedWhileTheNextIndexMovedMeansBuildAgain() throws Exception {
    AtomicLong next = new AtomicLong(808);
    String built = RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> {
      next.set(812); // a reply handled meanwhile
      throw new IllegalStateException("m2: Previous = (t:2, i:807) but firstIndex = 812");
    });
    assertThat(built).as("nothing to send this turn").isNull();
  }

  @Test
  void anyOtherFailureIsRatissOwn() throws Exception {
    AtomicLong next = new AtomicLong(808);
    assertThatThrownBy(() -> RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> {
      throw new IllegalStateException("buffer has 3 elements.");
    })).isInstanceOf(IllegalStateException.class).hasMessageContaining("buffer");
    assertThat(RaceSafeLogAppender.buildAgainIfNextIndexMoved(next::get, () -> "request")).isEqualTo("request");
  }

  @Test
  void ratisFindsKeelsTransportByItsName() {
    RaftProperties properties = new RaftProperties();
    RaftConfigKeys.Rpc.setType(properties, new KeelRpcType());
    assertThat(RaftConfigKeys.Rpc.type(properties, s -> {})).isInstanceOf(KeelRpcType.class);
  }
}
