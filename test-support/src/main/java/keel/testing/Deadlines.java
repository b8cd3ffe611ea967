package keel.testing;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * The one home for test deadlines. Every deadline is multiplied by the system property
 * {@code keel.test.timeScale} (default 1), so a slow machine can run {@code -Dkeel.test.timeScale=3}.
 */
public final class Deadlines {
  public static final String TIME_SCALE_PROPERTY = "keel.test.timeScale";

  private Deadlines() {}

  /** The factor from {@code -Dkeel.test.timeScale}; 1 when unset or blank. */
  public static double timeScale() {
    String raw = System.getProperty(TIME_SCALE_PROPERTY, "").trim();
    if (raw.isEmpty()) {
      return 1.0;
    }
    double scale = Double.parseDouble(raw);
    if (!(scale > 0)) {
      throw new IllegalArgumentException(TIME_SCALE_PROPERTY + " must be positive, was " + raw);
    }
    return scale;
  }

  /** {@code base} times the time scale. */
  public static Duration scaled(Duration base) {
    return Duration.ofNanos(Math.round(base.toNanos() * timeScale()));
  }

  /**
   * An Awaitility condition with a scaled deadline, polling briefly at first and then every 100 ms.
   * Exceptions from the condition fail the wait unless the caller adds {@code ignoreExceptions...}.
   * Use as {@code Deadlines.await("etcd healthy", Duration.ofSeconds(30)).until(...)}.
   */
  public static ConditionFactory await(String what, Duration base) {
    return Awaitility.await(what)
        .atMost(scaled(base))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(100));
  }
}
