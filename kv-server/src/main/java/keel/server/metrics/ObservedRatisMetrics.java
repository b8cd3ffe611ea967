package keel.server.metrics;

import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.thirdparty.com.codahale.metrics.Counter;
import org.apache.ratis.thirdparty.com.codahale.metrics.Metric;
import org.apache.ratis.thirdparty.com.codahale.metrics.MetricRegistry;
import org.apache.ratis.thirdparty.com.codahale.metrics.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keel's stand-ins for Ratis's own timers and counters: each keeps Ratis's statistics and also
 * tells Keel of every update. Ratis offers no callback per update, only its metric registries; but
 * it asks a registry for a metric by name and uses whatever is registered under that name. So a
 * stand-in put into a registry the moment Ratis creates it (a reporter registration on
 * {@code MetricRegistries.global()}), before Ratis asks for the name, is the one Ratis updates.
 */
final class ObservedRatisMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(ObservedRatisMetrics.class);

  private ObservedRatisMetrics() {}

  /**
   * Registers {@code metric} under the name Ratis gives {@code shortName} in {@code registry}
   * (application.component.prefix.shortName). Returns false, registering nothing, when Ratis would
   * not find it there (Ratis changed how it names metrics); {@code lost} then says what stays empty.
   */
  static boolean put(RatisMetricRegistryImpl registry, String shortName, Metric metric, String lost) {
    MetricRegistryInfo info = registry.getMetricRegistryInfo();
    String name = MetricRegistry.name(info.getApplicationName(), info.getMetricsComponentName(), info.getPrefix(),
        shortName);
    registry.getDropWizardMetricRegistry().register(name, metric);
    if (registry.get(shortName) == metric) {
      return true;
    }
    registry.getDropWizardMetricRegistry().remove(name);
    LOG.warn("Ratis names its metrics differently than expected ({}); {} will stay empty", name, lost);
    return false;
  }

  /** A Ratis timer that passes each duration, in nanoseconds, to {@code nanos}. */
  static final class ObservedTimer extends Timer {
    private final LongConsumer nanos;

    ObservedTimer(LongConsumer nanos) {
      this.nanos = nanos;
    }

    @Override
    public void update(long duration, TimeUnit unit) {
      super.update(duration, unit);
      nanos.accept(unit.toNanos(duration));
    }
  }

  /** A Ratis counter that runs {@code onIncrement} once per unit counted up. */
  static final class ObservedCounter extends Counter {
    private final Runnable onIncrement;

    ObservedCounter(Runnable onIncrement) {
      this.onIncrement = onIncrement;
    }

    @Override
    public void inc(long n) {
      super.inc(n);
      for (long i = 0; i < n; i++) {
        onIncrement.run();
      }
    }
  }
}
