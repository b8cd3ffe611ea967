package keel.perf.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a run measured so far: a latency histogram per operation (microseconds, 3 significant
 * digits, recorded wait-free from the answering threads) and the errors counted by message.
 * {@link #snapshot()} moves what was recorded since the last snapshot into the running totals;
 * the progress line and the final report both read snapshots.
 */
final class Stats {
  private final Map<String, Recorder> recorders = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  /** The running totals per operation; guarded by {@code this}. */
  private final Map<String, Histogram> totals = new TreeMap<>();

  /** One answered request of {@code operation} that took {@code nanos}. */
  void record(String operation, long nanos) {
    recorders.computeIfAbsent(operation, o -> new Recorder(3)).recordValue(Math.max(0, nanos / 1000));
  }

  /** One failed request. */
  void error(Throwable failure) {
    errors.computeIfAbsent(describe(failure), m -> new LongAdder()).increment();
  }

  /** One failure that is not an exception, e.g. a watcher that saw no event. */
  void error(String message) {
    errors.computeIfAbsent(message, m -> new LongAdder()).increment();
  }

  /** The running totals; {@code sinceLast} is how many answers came since the previous snapshot. */
  record Snapshot(Map<String, Histogram> byOperation, Histogram all, long sinceLast, Map<String, Long> errors) {
    long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  synchronized Snapshot snapshot() {
    long sinceLast = 0;
    for (Map.Entry<String, Recorder> e : recorders.entrySet()) {
      Histogram interval = e.getValue().getIntervalHistogram();
      sinceLast += interval.getTotalCount();
      totals.computeIfAbsent(e.getKey(), o -> newHistogram()).add(interval);
    }
    Map<String, Histogram> byOperation = new TreeMap<>();
    Histogram all = newHistogram();
    totals.forEach((operation, h) -> {
      byOperation.put(operation, h.copy());
      all.add(h);
    });
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((message, count) -> errorCounts.put(message, count.sum()));
    return new Snapshot(byOperation, all, sinceLast, errorCounts);
  }

  private static Histogram newHistogram() {
    Histogram h = new Histogram(3);
    h.setAutoResize(true);
    return h;
  }

  /**
   * An error's message as the report counts it: the cause's own text (etcd's, e.g. {@code
   * etcdserver: too many requests}), without the wrappers futures add.
   */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof TimeoutException) {
      return "no answer within " + BenchDurations.format(ClosedLoop.REQUEST_TIMEOUT);
    }
    if (t instanceof CancellationException) {
      return "cancelled";
    }
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.getClass().getSimpleName() : message.strip();
  }
}
