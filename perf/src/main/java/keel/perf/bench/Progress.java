package keel.perf.bench;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code --progress}: a line a second on stderr (stdout keeps only the report, or the JSON), so a
 * stall shows when it happens: seconds so far, answers so far, answers in the last second, p99 so
 * far, errors so far.
 */
final class Progress implements AutoCloseable {
  private final Stats stats;
  private final PrintStream err;
  private final ScheduledExecutorService timer;
  private final long startNanos = System.nanoTime();

  private Progress(Stats stats, PrintStream err) {
    this.stats = stats;
    this.err = err;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keel-bench-progress");
      t.setDaemon(true);
      return t;
    });
  }

  static Progress start(Stats stats, PrintStream err) {
    Progress progress = new Progress(stats, err);
    progress.timer.scheduleAtFixedRate(progress::print, 1, 1, TimeUnit.SECONDS);
    return progress;
  }

  private void print() {
    Stats.Snapshot now = stats.snapshot();
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    err.println(line(seconds, now.all().getTotalCount(), now.sinceLast(),
        now.all().getValueAtPercentile(99) / 1000.0, now.errorCount()));
  }

  static String line(double seconds, long done, long lastSecond, double p99Ms, long errors) {
    return String.format(java.util.Locale.ROOT, "keel bench: %5.0f s  %9d done  %7d req/s  p99 %8.3f ms  %d errors",
        seconds, done, lastSecond, p99Ms, errors);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
