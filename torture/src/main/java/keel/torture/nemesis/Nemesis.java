package keel.torture.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import keel.torture.TortureCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Injects faults one at a time, in a random order from a seed: a quiet spell, a fault, held for a
 * while, healed, then the cluster must converge (every member answering, one leader, reads served)
 * before the next. Every fault lands on the timeline.
 */
public final class Nemesis implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Nemesis.class);

  private final TortureCluster cluster;
  private final List<Fault> faults;
  private final Settings settings;
  private final List<FaultRecord> timeline = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();
  private final List<String> notInjected = new ArrayList<>();
  private final List<long[]> failedAttempts = new ArrayList<>();
  private Thread thread;
  private volatile boolean stopping;

  /**
   * @param quiet the pause between a converged cluster and the next fault
   * @param holdMin shortest time a fault stays in place
   * @param holdMax longest
   * @param convergeTimeout how long the cluster may take to converge after healing
   * @param effectTimeout how long after injecting a fault its effect must have shown (see {@link
   *     Fault.Effect}); the fault stays in place until then
   */
  public record Settings(Duration quiet, Duration holdMin, Duration holdMax, Duration convergeTimeout,
      Duration effectTimeout) {
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(6), Duration.ofSeconds(120),
          Duration.ofSeconds(20));
    }
  }

  public Nemesis(TortureCluster cluster, List<Fault> faults, Settings settings) {
    this.cluster = cluster;
    this.faults = List.copyOf(faults);
    this.settings = settings;
  }

  public void start(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    thread = new Thread(() -> run(random), "nemesis");
    thread.setDaemon(true);
    thread.start();
  }

  private void run(SplittableRandom random) {
    List<Fault> round = new ArrayList<>();
    while (!stopping && !faults.isEmpty()) {
      if (!pause(settings.quiet())) {
        return;
      }
      if (round.isEmpty()) { // every kind once per round, in a random order
        round.addAll(faults);
        for (int i = round.size() - 1; i > 0; i--) {
          java.util.Collections.swap(round, i, random.nextInt(i + 1));
        }
      }
      Fault fault = round.remove(round.size() - 1);
      long injected = System.nanoTime();
      Fault.Injected in;
      try {
        in = fault.inject(cluster, random);
      } catch (Exception e) {
        // Not a broken guarantee (a leader transfer may time out under load, as etcd's does), but
        // the report counts it; a fault that cannot be healed is a problem.
        // A refused attempt may still have disturbed the cluster: a transfer that timed out had
        // already moved the transferee's term and deposed the leader. Its window, until the
        // cluster converged again, counts as a fault's for the checkers.
        LOG.warn("nemesis: could not inject {}: {}", fault.name(), e.toString());
        try {
          cluster.awaitConverged(settings.convergeTimeout());
        } catch (InterruptedException stopped) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException notConverged) {
          problem("converging after the failed " + fault.name() + ": " + notConverged);
        }
        synchronized (timeline) {
          notInjected.add(fault.name() + ": " + e.getMessage());
          failedAttempts.add(new long[] {injected, System.nanoTime()});
        }
        continue;
      }
      LOG.info("nemesis: {} {}", fault.name(), in.target());
      long hold = settings.holdMin().toNanos()
          + (long) (random.nextDouble() * (settings.holdMax().toNanos() - settings.holdMin().toNanos()));
      String effect = holdAndObserve(fault, in, injected, injected + hold);
      long healed = System.nanoTime();
      try {
        in.heal();
        cluster.awaitConverged(settings.convergeTimeout());
      } catch (Exception e) {
        problem("healing " + fault.name() + " " + in.target() + ": " + e);
      }
      long converged = System.nanoTime();
      LOG.info("nemesis: healed {} {}; converged after {} ms", fault.name(), in.target(), (converged - healed) / 1_000_000);
      synchronized (timeline) {
        timeline.add(new FaultRecord(fault.name(), in.target(), injected, healed, converged, effect));
      }
    }
  }

  /**
   * Holds the fault until {@code holdUntil}, watching for its effect, and longer if the effect has
   * not shown by then, up to {@link Settings#effectTimeout} after injecting it; a fault that never
   * shows it is a problem (the run fails: what it claims to have survived did not happen). Returns
   * what was seen and when, for the timeline ("" when there is nothing to see).
   */
  private String holdAndObserve(Fault fault, Fault.Injected in, long injected, long holdUntil) {
    Fault.Effect effect = in.effect();
    if (effect != Fault.Effect.NONE) {
      long deadline = injected + settings.effectTimeout().toNanos();
      try {
        while (!effect.observed()) {
          if (System.nanoTime() >= deadline || !pause(Duration.ofMillis(100))) {
            if (!stopping) {
              problem(fault.name() + " " + in.target() + " took no effect within "
                  + settings.effectTimeout().toSeconds() + " s: " + effect.describe());
            }
            return "no effect: " + effect.describe();
          }
        }
      } catch (Exception e) {
        problem("observing " + fault.name() + " " + in.target() + ": " + e);
        return "unknown: " + e;
      }
      LOG.info("nemesis: {} {} took effect after {} ms: {}", fault.name(), in.target(),
          (System.nanoTime() - injected) / 1_000_000, effect.describe());
    }
    long seen = System.nanoTime();
    pause(Duration.ofNanos(holdUntil - seen));
    return effect == Fault.Effect.NONE ? "" : effect.describe() + " after " + (seen - injected) / 1_000_000 + " ms";
  }

  /** Waits unless stopping; false when stopping. */
  private boolean pause(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    try {
      while (!stopping && System.nanoTime() < until) {
        TimeUnit.MILLISECONDS.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return !stopping;
  }

  private void problem(String what) {
    LOG.warn("nemesis: {}", what);
    synchronized (timeline) {
      problems.add(what);
    }
  }

  public List<FaultRecord> timeline() {
    synchronized (timeline) {
      return List.copyOf(timeline);
    }
  }

  /**
   * Every span in which the nemesis disturbed the cluster, {@code [began, converged]} in nanos:
   * each fault on the timeline and each attempt that failed part-way (see {@link #notInjected()}).
   */
  public List<long[]> disturbedWindows() {
    synchronized (timeline) {
      List<long[]> windows = new ArrayList<>();
      timeline.forEach(f -> windows.add(new long[] {f.injectedNanos(), f.convergedNanos()}));
      windows.addAll(failedAttempts);
      return windows;
    }
  }

  /** Whether every fault kind has been injected (or tried) at least once. */
  public boolean everyKindTried() {
    synchronized (timeline) {
      java.util.Set<String> tried = triedKinds(timeline, notInjected);
      return faults.stream().allMatch(f -> tried.contains(f.name()));
    }
  }

  /**
   * The fault kinds injected, or tried and refused (a leader transfer may time out under load).
   *
   * @param notInjected as {@link #notInjected()} words them: "kind: why"
   */
  public static java.util.SortedSet<String> triedKinds(List<FaultRecord> timeline, List<String> notInjected) {
    java.util.SortedSet<String> kinds = new java.util.TreeSet<>();
    timeline.forEach(f -> kinds.add(f.type()));
    notInjected.forEach(n -> kinds.add(n.substring(0, n.indexOf(':'))));
    return kinds;
  }

  /** Faults that could not be injected, and why. */
  public List<String> notInjected() {
    synchronized (timeline) {
      return List.copyOf(notInjected);
    }
  }

  /** Faults that could not be healed, or after which the cluster did not converge: the run fails on any. */
  public List<String> problems() {
    synchronized (timeline) {
      return List.copyOf(problems);
    }
  }

  /** Stops after healing the fault in place (a fault is never left in place). */
  @Override
  public void close() throws InterruptedException {
    stopping = true;
    if (thread != null) {
      thread.join();
    }
  }
}
