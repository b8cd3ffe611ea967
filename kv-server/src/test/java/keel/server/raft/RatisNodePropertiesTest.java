package keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import keel.server.ServerConfig;
import keel.server.cli.ServerCommand;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

/** The Ratis settings Keel derives from etcd's flags, where a wrong one cost a torture run. */
class RatisNodePropertiesTest {
  private static RaftProperties properties(String... flags) {
    ServerConfig config = new ServerCommand(c -> () -> { }, Map.of(), s -> { }).parse(flags);
    return RatisNode.properties(config);
  }

  @Test
  void anAppendCarriesTheLargestRequestButABoundedNumberOfEntries() {
    RaftProperties p = properties("--data-dir", "/tmp/keel-properties-test", "--max-request-bytes", "10485760");
    // One 10 MiB request fits in one append...
    assertThat(RaftServerConfigKeys.Log.Appender.bufferByteLimit(p).getSize()).isGreaterThanOrEqualTo(2L * 10485760);
    // ... but a follower far behind is not sent hundreds of thousands of small entries at once,
    // which it cannot write within the request timeout.
    assertThat(RaftServerConfigKeys.Log.Appender.bufferElementLimit(p)).isEqualTo(RatisNode.ENTRIES_PER_APPEND)
        .isBetween(1, 4096);
  }

  @Test
  void aSnapshotChunkFitsInOnePeerMessage() {
    RaftProperties p = properties("--data-dir", "/tmp/keel-properties-test");
    assertThat(RaftServerConfigKeys.Log.Appender.snapshotChunkSizeMax(p).getSize())
        .isLessThan(org.apache.ratis.grpc.GrpcConfigKeys.messageSizeMax(p, s -> { }).getSize());
  }
}
