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
    return properties(0, flags);
  }

  private static RaftProperties properties(int firstElectionRank, String... flags) {
    ServerConfig config = new ServerCommand(c -> () -> { }, Map.of(), s -> { }).parse(flags);
    return RatisNode.properties(config, firstElectionRank);
  }

  @Test
  void foundersCampaignFirstInTurnsOneElectionTimeoutApart() {
    long[][] windows = new long[3][];
    for (int rank = 0; rank < 3; rank++) {
      RaftProperties p = properties(rank, "--data-dir", "/tmp/keel-properties-test", "--election-timeout", "1000");
      windows[rank] = new long[] {
          RaftServerConfigKeys.Rpc.firstElectionTimeoutMin(p).toLong(java.util.concurrent.TimeUnit.MILLISECONDS),
          RaftServerConfigKeys.Rpc.firstElectionTimeoutMax(p).toLong(java.util.concurrent.TimeUnit.MILLISECONDS)};
    }
    // the first founder campaigns well before an ordinary election timeout...
    assertThat(windows[0][0]).isEqualTo(300);
    assertThat(windows[0][1]).isLessThan(1000);
    // ...and the next one only an election timeout after the one before could have begun
    for (int rank = 1; rank < 3; rank++) {
      assertThat(windows[rank][0]).isGreaterThanOrEqualTo(windows[rank - 1][1] + 900);
    }
  }

  @Test
  void aMemberNotAmongTheFoundersCampaignsFirstInTheFirstTurn() {
    org.apache.ratis.protocol.RaftPeer a = org.apache.ratis.protocol.RaftPeer.newBuilder().setId("a").build();
    org.apache.ratis.protocol.RaftPeer b = org.apache.ratis.protocol.RaftPeer.newBuilder().setId("b").build();
    assertThat(RatisNode.firstElectionRank(b.getId(), java.util.List.of(a, b))).isEqualTo(1);
    assertThat(RatisNode.firstElectionRank(org.apache.ratis.protocol.RaftPeerId.valueOf("c"),
        java.util.List.of(a, b))).isZero();
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
