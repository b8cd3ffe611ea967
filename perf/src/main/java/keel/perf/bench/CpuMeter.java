package keel.perf.bench;

import java.lang.management.ManagementFactory;

/**
 * The load generator's own CPU use over a run: process CPU time divided by wall time times the
 * available processors. A generator near saturation measures itself, not the server: the report
 * warns above {@link Share#BOTTLENECK}.
 */
final class CpuMeter {
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final long startCpu;
  private final long startWall;

  private CpuMeter() {
    startCpu = os.getProcessCpuTime();
    startWall = System.nanoTime();
  }

  static CpuMeter start() {
    return new CpuMeter();
  }

  Share stop() {
    return new Share(os.getProcessCpuTime() - startCpu, System.nanoTime() - startWall,
        Runtime.getRuntime().availableProcessors());
  }

  /** CPU nanoseconds used in {@code wallNanos} of wall time on {@code processors} processors. */
  record Share(long cpuNanos, long wallNanos, int processors) {
    /** Above this share the generator, not the server, may be what limits the run. */
    static final double BOTTLENECK = 0.8;

    /** 0..1: the fraction of the machine the generator used. */
    double share() {
      return wallNanos <= 0 || cpuNanos < 0 ? 0 : (double) cpuNanos / ((double) wallNanos * processors);
    }

    boolean mayBeBottleneck() {
      return share() > BOTTLENECK;
    }
  }
}
