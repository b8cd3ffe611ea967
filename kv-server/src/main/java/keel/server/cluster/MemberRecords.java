package keel.server.cluster;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import keel.server.ServerConfig;
import keel.server.command.MemberRecord;
import keel.server.raft.MemberIds;
import keel.server.raft.RatisNode;
import org.apache.ratis.protocol.RaftPeer;

/**
 * Members as the log records them ({@link MemberRecord}), from the flags of a new cluster, and as
 * Ratis peers: the one place a member's record is derived from {@code --initial-cluster} and a
 * record turned into a peer.
 */
public final class MemberRecords {
  private MemberRecords() {}

  /**
   * The founding members as {@code --initial-cluster} and {@code --initial-cluster-token} name
   * them, by id as etcd orders them.
   */
  public static List<MemberRecord> founders(ServerConfig config) {
    Map<String, Long> ids = MemberIds.founders(config.initialCluster(), config.initialClusterToken());
    List<MemberRecord> founders = new ArrayList<>();
    config.initialCluster().forEach((name, urls) -> founders.add(MemberRecord.newBuilder()
        .setId(ids.get(name))
        .setName(name)
        .addAllPeerUrls(urls.stream().map(URI::toString).toList())
        .setRaftPeer(MemberIds.raftPeer(urls.get(0)))
        .build()));
    founders.sort((a, b) -> Long.compareUnsigned(a.getId(), b.getId()));
    return founders;
  }

  /** The member as a Ratis peer: its Raft peer id, reached at its current first peer URL. */
  public static RaftPeer raftPeer(MemberRecord member) {
    return RatisNode.peer(member.getRaftPeer(), URI.create(member.getPeerUrls(0)));
  }

  /** {@code members} as Ratis peers, in their order. */
  public static List<RaftPeer> raftPeers(List<MemberRecord> members) {
    return members.stream().map(MemberRecords::raftPeer).toList();
  }
}
