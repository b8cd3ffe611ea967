package keel.perf.bench;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One run's outcome, everything {@link Report} prints: what ran against what, the answered
 * requests and their latency (in total and per operation), the errors by message, the wall time
 * of the measured part and the generator's CPU share over it.
 */
record Results(
    String workload,
    String settings,
    String runLength,
    List<URI> endpoints,
    String serverVersion,
    int conns,
    int clients,
    long count,
    Map<String, Long> errors,
    double seconds,
    Latency latency,
    Map<String, Operation> operations,
    CpuMeter.Share cpu) {

  /** One operation's share of a run (mixed has {@code range} and {@code put}). */
  record Operation(long count, Latency latency) {}

  static Results of(Workload workload, Target target, Load load, String serverVersion, Stats.Snapshot stats,
      long wallNanos, CpuMeter.Share cpu) {
    Map<String, Operation> operations = new LinkedHashMap<>();
    for (Map.Entry<String, Histogram> e : stats.byOperation().entrySet()) {
      operations.put(e.getKey(), new Operation(e.getValue().getTotalCount(), Latency.of(e.getValue())));
    }
    return new Results(workload.name(), workload.settings(), load.length().describe(workload.unit()),
        target.endpoints(), serverVersion, target.conns(), load.clients(), stats.all().getTotalCount(),
        stats.errors(), wallNanos / 1e9, Latency.of(stats.all()), operations, cpu);
  }

  long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Answered requests per second, as etcd's tool's {@code Requests/sec} (errors not counted). */
  double throughput() {
    return seconds > 0 ? count / seconds : 0;
  }
}
