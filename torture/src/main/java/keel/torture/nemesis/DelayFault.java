package keel.torture.nemesis;

import java.time.Duration;
import java.util.SplittableRandom;
import keel.testing.faults.DelayProxy;
import keel.torture.TortureCluster;

/**
 * A slow link: the proxy in front of one member's peer port (often the leader's) delays what
 * passes it both ways by 50-300 ms with jitter up to half that, so different connections see
 * different delays (the only reordering TCP allows). Healed by removing the delay.
 */
public final class DelayFault implements Fault {
  @Override
  public String name() {
    return "delay";
  }

  @Override
  public Injected inject(TortureCluster cluster, SplittableRandom random) {
    Targets.Target victim = Targets.pickOne(cluster, random);
    DelayProxy proxy = cluster.peerProxy(victim.index());
    Duration delay = Duration.ofMillis(50 + random.nextInt(250));
    DelayProxy.Delay d = new DelayProxy.Delay(delay, delay.dividedBy(2));
    proxy.delay(DelayProxy.Direction.TO_TARGET, d);
    proxy.delay(DelayProxy.Direction.TO_CLIENT, d);
    return new Injected(victim.label() + " +" + delay.toMillis() + " ms", () -> {
      proxy.delay(DelayProxy.Direction.TO_TARGET, DelayProxy.Delay.NONE);
      proxy.delay(DelayProxy.Direction.TO_CLIENT, DelayProxy.Delay.NONE);
    });
  }
}
