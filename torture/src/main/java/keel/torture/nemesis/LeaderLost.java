package keel.torture.nemesis;

import io.etcd.jetcd.maintenance.StatusResponse;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import keel.torture.TortureCluster;

/**
 * The effect of a cut between a leader and some members: each of those members stops naming that
 * leader as its own (it starts an election, which forgets the leader, or follows a new one) at
 * least once while the cut is in place. Members are asked through their client port, which the
 * cut leaves open.
 */
final class LeaderLost implements Fault.Effect {
  private final TortureCluster cluster;
  private final String leaderName;
  private final long leaderId;
  private final Set<Integer> pending;
  private final Set<Integer> seen = new TreeSet<>();

  /**
   * @param leader the leader's index when the cut was made
   * @param cutOff the members that can no longer reach it
   */
  private LeaderLost(TortureCluster cluster, int leader, long leaderId, Set<Integer> cutOff) {
    this.cluster = cluster;
    this.leaderName = cluster.member(leader).name();
    this.leaderId = leaderId;
    this.pending = new TreeSet<>(cutOff);
  }

  /** The effect to await, or {@link Fault.Effect#NONE} when no leader is known or nobody is cut from it. */
  static Fault.Effect of(TortureCluster cluster, int leader, Set<Integer> cutOff) {
    if (leader < 0 || cutOff.isEmpty()) {
      return Fault.Effect.NONE;
    }
    StatusResponse status = cluster.status(leader);
    if (status == null) {
      return Fault.Effect.NONE;
    }
    return new LeaderLost(cluster, leader, status.getHeader().getMemberId(), cutOff);
  }

  @Override
  public synchronized boolean observed() {
    for (var it = pending.iterator(); it.hasNext(); ) {
      int member = it.next();
      StatusResponse status = cluster.status(member);
      if (status != null && status.getLeader() != leaderId) {
        seen.add(member);
        it.remove();
      }
    }
    return pending.isEmpty();
  }

  @Override
  public synchronized String describe() {
    return names(seen) + " stopped following " + leaderName
        + (pending.isEmpty() ? "" : "; " + names(pending) + " still follow it");
  }

  private String names(Set<Integer> members) {
    return members.isEmpty() ? "none" : members.stream().map(i -> cluster.member(i).name()).collect(Collectors.joining(","));
  }
}
