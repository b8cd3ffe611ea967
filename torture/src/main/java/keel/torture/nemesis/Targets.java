package keel.torture.nemesis;

import java.util.SplittableRandom;
import keel.torture.TortureCluster;

/** Which member a fault hits: the leader half of the time (the interesting case), else any member. */
final class Targets {
  private Targets() {}

  /** @param leader the leader's index as the fault found it, or -1 */
  static int pick(TortureCluster cluster, int leader, SplittableRandom random) {
    if (leader >= 0 && random.nextBoolean()) {
      return leader;
    }
    return random.nextInt(cluster.size());
  }

  /** One member a fault hits, and how the timeline names it. */
  record Target(int index, String label) {}

  /** Looks up the leader, then {@link #pick}s one member. */
  static Target pickOne(TortureCluster cluster, SplittableRandom random) {
    int leader = cluster.leader();
    int index = pick(cluster, leader, random);
    return new Target(index, label(cluster, index, leader));
  }

  static String label(TortureCluster cluster, int member, int leader) {
    return cluster.member(member).name() + (member == leader ? " (leader)" : "");
  }
}
