package keel.torture.nemesis;

import java.util.SplittableRandom;
import keel.torture.TortureCluster;

/** A kind of fault the nemesis can inject: {@link #inject} does it, the returned handle heals it. */
public interface Fault {
  /** The name used on the command line and in reports: {@code kill}, {@code pause}, ... */
  String name();

  /** Injects one fault of this kind; the cluster still has a leader before it. */
  Injected inject(TortureCluster cluster, SplittableRandom random) throws Exception;

  /** A fault in place. */
  interface Injected {
    /** What it hit, for the timeline: {@code m2 (leader)}. */
    String target();

    /** Undoes it: restarts, resumes, reconnects. */
    void heal() throws Exception;
  }
}
