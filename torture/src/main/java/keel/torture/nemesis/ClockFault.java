package keel.torture.nemesis;

import java.time.Duration;
import java.util.SplittableRandom;
import keel.testing.faults.FakeClocks;
import keel.torture.TortureCluster;

/**
 * A wall-clock step on one member (often the leader), 5-30 s forward or back, as NTP or a resumed
 * VM makes: libfaketime in the member's process. Healed by stepping it right again. Keel's
 * decisions run on monotonic clocks (lease expiry, request deadlines, elections); only v2 TTLs
 * are wall-clock times, as in etcd, so a v2 key set through a stepped member, or swept by a
 * stepped leader, expires that much early or late.
 */
public final class ClockFault implements Fault {
  /** The largest step, for the run's wait for v2 keys to expire. */
  public static final Duration MAX_STEP = Duration.ofSeconds(30);

  @Override
  public String name() {
    return "clock";
  }

  @Override
  public Injected inject(TortureCluster cluster, SplittableRandom random) {
    FakeClocks clocks = cluster.clocks();
    Targets.Target victim = Targets.pickOne(cluster, random);
    String member = cluster.member(victim.index()).name();
    long seconds = 5 + random.nextInt((int) MAX_STEP.toSeconds() - 4);
    Duration step = Duration.ofSeconds(random.nextBoolean() ? seconds : -seconds);
    clocks.step(member, step);
    return new Injected(victim.label() + " wall clock " + (step.isNegative() ? "" : "+")
        + step.toSeconds() + " s", () -> clocks.reset(member));
  }
}
