package keel.testing;

import java.time.Duration;

/** Test deadlines, scaled by {@code -Dkeel.test.timeScale} (default 1) for slower machines. */
public final class Timing {
  private Timing() {}

  public static double scale() {
    return Double.parseDouble(System.getProperty("keel.test.timeScale", "1"));
  }

  public static Duration scaled(Duration deadline) {
    return Duration.ofMillis((long) (deadline.toMillis() * scale()));
  }
}
