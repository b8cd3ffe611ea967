package org.apache.ratis.server.impl;

import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

/**
 * What a Ratis leader knows of each follower and listener, which etcd's leader reads from its
 * raft status before a membership change: how far a learner's log matches (etcd's
 * {@code isLearnerReady}) and which peers answered lately (etcd's active-peer checks). Ratis 3.2.2
 * offers these only as arrays without peer ids, or on package-private types: this class lives in
 * Ratis's package to reach them. Empty answers on a member that does not lead.
 */
public final class LeaderProgress {
  private LeaderProgress() {}

  /** How far {@code peer}'s log matches the leader's; empty if this member does not lead or does not replicate to it. */
  public static OptionalLong matchIndex(RaftServer.Division division, RaftPeerId peer) {
    return ((RaftServerImpl) division).getRole().getLeaderState()
        .flatMap(leader -> leader.getLogAppender(peer))
        .map(appender -> OptionalLong.of(appender.getFollower().getMatchIndex()))
        .orElse(OptionalLong.empty());
  }

  /** The peers this leader replicates to that answered within the last {@code millis}; empty on a non-leader. */
  public static Set<RaftPeerId> answeredWithin(RaftServer.Division division, long millis) {
    Set<RaftPeerId> answered = new HashSet<>();
    ((RaftServerImpl) division).getRole().getLeaderState().ifPresent(leader ->
        leader.getLogAppenders()
            .filter(appender -> appender.getFollower().getLastRpcResponseTime().elapsedTimeMs() <= millis)
            .forEach(appender -> answered.add(appender.getFollowerId())));
    return answered;
  }
}
