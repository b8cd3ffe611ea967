package keel.torture.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A workload's client processes: one daemon thread each, numbered from 0, each with its own random
 * stream drawn from the workload's seed (so a seed replays the same choices).
 */
final class ClientThreads {
  /** What one client process does until its workload stops. */
  @FunctionalInterface
  interface Body {
    void run(int process, SplittableRandom random);
  }

  private final List<Thread> threads = new ArrayList<>();

  ClientThreads(String name, int count, long seed, Body body) {
    Random seeds = new Random(seed);
    for (int p = 0; p < count; p++) {
      int process = p;
      SplittableRandom random = new SplittableRandom(seeds.nextLong());
      Thread t = new Thread(() -> body.run(process, random), name + "-" + p);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
  }

  /** Waits for every thread, each at most {@code millis}. */
  void join(long millis) throws InterruptedException {
    for (Thread t : threads) {
      t.join(millis);
    }
  }
}
