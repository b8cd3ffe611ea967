package keel.torture.nemesis;

import java.util.SplittableRandom;
import keel.torture.TortureCluster;

/** A kind of fault the nemesis can inject: {@link #inject} does it, the returned handle heals it. */
public interface Fault {
  /** The name used on the command line and in reports: {@code kill}, {@code pause}, ... */
  String name();

  /** Injects one fault of this kind; the cluster still has a leader before it. */
  Injected inject(TortureCluster cluster, SplittableRandom random) throws Exception;

  /**
   * A fault in place.
   *
   * @param target what it hit, for the timeline: {@code m2 (leader)}
   * @param healing undoes it: restarts, resumes, reconnects
   */
  record Injected(String target, Healing healing) {
    public void heal() throws Exception {
      healing.heal();
    }
  }

  /** How a fault is undone. */
  @FunctionalInterface
  interface Healing {
    void heal() throws Exception;
  }
}
