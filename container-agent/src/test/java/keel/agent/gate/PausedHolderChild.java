package keel.agent.gate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Run in a child JVM by {@link PausedHolderTest}: a holder whose gated process is fenced by a
 * watchdog, as the agent wires them. Prints {@code armed <nanoTime> <gated root pid>}, then
 * {@code killed <nanoTime>} once the fence killed the gated process.
 */
public final class PausedHolderChild {
  private PausedHolderChild() {
  }

  public static void main(String[] args) throws InterruptedException {
    Path log = Path.of(args[0]);
    long fenceMillis = Long.parseLong(args[1]);
    try (GatedProcess gated = new GatedProcess("holder", List.of("/bin/sh", "-c", "sleep 1000 & exec sleep 1000"),
        Map.of(), log, Duration.ofSeconds(5))) {
      gated.start();
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (gated.pid().isEmpty() && System.nanoTime() - giveUp < 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      long root = gated.pid().orElseThrow();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(fenceMillis);
      CountDownLatch killed = new CountDownLatch(1);
      try (FenceWatchdog watchdog = new FenceWatchdog("holder", () -> deadline, () -> {
        gated.kill();
        System.out.println("killed " + System.nanoTime());
        System.out.flush();
        killed.countDown();
      })) {
        System.out.println("armed " + System.nanoTime() + " " + root);
        System.out.flush();
        killed.await();
      }
    }
  }
}
