package keel.torture.nemesis;

import java.util.SplittableRandom;
import keel.testing.MemberProcess;
import keel.torture.TortureCluster;

/**
 * SIGSTOP of one member (often the leader): a frozen VM or container, its sockets open, its
 * clocks running on; healed by SIGCONT. The case that catches a leader serving reads it no longer
 * has the right to serve.
 */
public final class PauseFault implements Fault {
  @Override
  public String name() {
    return "pause";
  }

  @Override
  public Injected inject(TortureCluster cluster, SplittableRandom random) {
    int leader = cluster.leader();
    int target = Targets.pick(cluster, random);
    MemberProcess member = cluster.member(target);
    member.pause();
    String label = Targets.label(cluster, target, leader);
    return new Injected() {
      @Override
      public String target() {
        return label;
      }

      @Override
      public void heal() {
        member.resume();
      }
    };
  }
}
