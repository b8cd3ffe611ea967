package keel.agent.gate;

import java.util.concurrent.CountDownLatch;

/**
 * Run in a child JVM by {@link FenceWatchdogTest}: arms a watchdog at now + the given millis,
 * prints {@code armed <nanoTime>}, and prints {@code expired <nanoTime>} from the fence action.
 * Exits after the action ran.
 */
public final class FenceWatchdogChild {
  private FenceWatchdogChild() {
  }

  public static void main(String[] args) throws InterruptedException {
    long deadline = System.nanoTime() + Long.parseLong(args[0]) * 1_000_000L;
    CountDownLatch expired = new CountDownLatch(1);
    try (FenceWatchdog watchdog = new FenceWatchdog("child", () -> deadline, () -> {
      System.out.println("expired " + System.nanoTime());
      System.out.flush();
      expired.countDown();
    })) {
      System.out.println("armed " + System.nanoTime());
      System.out.flush();
      expired.await();
    }
  }
}
