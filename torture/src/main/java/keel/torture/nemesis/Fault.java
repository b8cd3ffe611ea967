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
   * @param effect what the cluster must show while the fault is in place, proof that it bit
   */
  record Injected(String target, Healing healing, Effect effect) {
    /** A fault whose effect is not observed from outside (a kill or a pause speaks for itself). */
    public Injected(String target, Healing healing) {
      this(target, healing, Effect.NONE);
    }

    public void heal() throws Exception {
      healing.heal();
    }
  }

  /** How a fault is undone. */
  @FunctionalInterface
  interface Healing {
    void heal() throws Exception;
  }

  /**
   * What a fault in place must make visible, asked repeatedly until it shows: a network cut that
   * no member notices was not a cut (the run fails on it rather than count it as survived).
   */
  interface Effect {
    Effect NONE = new Effect() {
      @Override
      public boolean observed() {
        return true;
      }

      @Override
      public String describe() {
        return "nothing to observe";
      }
    };

    /** Looks once more; true once the effect has shown (it stays shown). */
    boolean observed() throws Exception;

    /** What was awaited and what has been seen so far, for the log and the failure. */
    String describe();
  }
}
