package keel.perf.bench;

import org.HdrHistogram.Histogram;

/**
 * The latency figures a report prints, in milliseconds, from a histogram of microseconds. All zero
 * for an empty histogram (a run where every request failed).
 */
record Latency(double min, double p50, double p90, double p99, double p999, double max, double mean) {
  static Latency of(Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return new Latency(0, 0, 0, 0, 0, 0, 0);
    }
    return new Latency(ms(micros.getMinValue()), ms(micros.getValueAtPercentile(50)),
        ms(micros.getValueAtPercentile(90)), ms(micros.getValueAtPercentile(99)),
        ms(micros.getValueAtPercentile(99.9)), ms(micros.getMaxValue()), micros.getMean() / 1000.0);
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }
}
