package keel.torture.nemesis;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import keel.testing.MemberProcess;
import keel.torture.TortureCluster;

/**
 * A fault done to one member's process (often the leader's), undone by another:
 *
 * <ul>
 *   <li>{@code kill}: kill -9, healed by starting it again on its data dir;
 *   <li>{@code pause}: SIGSTOP, a frozen VM or container, its sockets open, its clocks running on;
 *       healed by SIGCONT. The case that catches a leader serving reads it no longer may serve.
 * </ul>
 */
public final class ProcessFault implements Fault {
  private final String name;
  private final Consumer<MemberProcess> injure;
  private final Consumer<MemberProcess> heal;

  private ProcessFault(String name, Consumer<MemberProcess> injure, Consumer<MemberProcess> heal) {
    this.name = name;
    this.injure = injure;
    this.heal = heal;
  }

  public static ProcessFault kill() {
    return new ProcessFault("kill", MemberProcess::kill9, MemberProcess::start);
  }

  public static ProcessFault pause() {
    return new ProcessFault("pause", MemberProcess::pause, MemberProcess::resume);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Injected inject(TortureCluster cluster, SplittableRandom random) {
    Targets.Target target = Targets.pickOne(cluster, random);
    MemberProcess member = cluster.member(target.index());
    injure.accept(member);
    return new Injected(target.label(), () -> heal.accept(member));
  }
}
