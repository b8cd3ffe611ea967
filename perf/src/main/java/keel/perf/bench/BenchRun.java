package keel.perf.bench;

import java.io.PrintStream;

/**
 * One {@code keel bench} run: connects, checks that every endpoint answers, prepares the workload
 * (not measured), runs it with the CPU meter and the optional progress line around it, prints the
 * report (or the JSON) on {@code out}, and cleans up. Exits 0 when every request was answered, 1
 * when some failed (the report says which errors, how often).
 */
final class BenchRun {
  private final Target target;
  private final Load load;
  private final Workload workload;
  private final PrintStream out;
  private final PrintStream err;

  BenchRun(Target target, Load load, Workload workload, PrintStream out, PrintStream err) {
    this.target = target;
    this.load = load;
    this.workload = workload;
    this.out = out;
    this.err = err;
  }

  int call() throws Exception {
    try (Connections conns = Connections.open(target)) {
      String serverVersion = conns.probe();
      try {
        workload.prepare(conns);
        Results results = measure(conns, serverVersion);
        out.println(target.json() ? Report.json(results) : Report.text(results));
        out.flush();
        if (target.json() && results.cpu().mayBeBottleneck()) {
          err.println(Report.warning(results.cpu()));
        }
        return results.errorCount() == 0 ? 0 : 1;
      } finally {
        workload.cleanUp(conns);
      }
    }
  }

  private Results measure(Connections conns, String serverVersion) throws Exception {
    Stats stats = new Stats();
    Progress progress = target.progress() ? Progress.start(stats, err) : null;
    CpuMeter cpu = CpuMeter.start();
    long start = System.nanoTime();
    try {
      workload.run(conns, stats);
    } finally {
      if (progress != null) {
        progress.close();
      }
    }
    long wall = System.nanoTime() - start;
    return Results.of(workload, target, load, serverVersion, stats.snapshot(), wall, cpu.stop());
  }
}
