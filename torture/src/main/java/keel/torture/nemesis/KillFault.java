package keel.torture.nemesis;

import java.util.SplittableRandom;
import keel.testing.MemberProcess;
import keel.torture.TortureCluster;

/** kill -9 of one member (often the leader); healed by starting it again on its data dir. */
public final class KillFault implements Fault {
  @Override
  public String name() {
    return "kill";
  }

  @Override
  public Injected inject(TortureCluster cluster, SplittableRandom random) {
    int leader = cluster.leader();
    int target = Targets.pick(cluster, random);
    MemberProcess member = cluster.member(target);
    member.kill9();
    String label = Targets.label(cluster, target, leader);
    return new Injected() {
      @Override
      public String target() {
        return label;
      }

      @Override
      public void heal() {
        member.start();
      }
    };
  }
}
