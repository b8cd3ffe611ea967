package keel.perf.bench;

/**
 * One {@code keel bench} workload. {@link BenchRun} opens the connections, then calls {@link
 * #prepare} (not measured: keys to read, leases, watchers), {@link #run} (measured: latencies and
 * errors into the {@link Stats}, CPU and wall time around it), and {@link #cleanUp} whatever
 * happened.
 */
interface Workload {
  /** The subcommand's name, e.g. {@code range}. */
  String name();

  /** The workload's own settings for the report header, e.g. {@code consistency l}; may be empty. */
  String settings();

  /** What {@code --total} counts, for the report's header. */
  default String unit() {
    return "requests";
  }

  default void prepare(Connections conns) throws Exception {}

  /** Sends the load; returns when the last request has been answered (or has timed out). */
  void run(Connections conns, Stats stats) throws Exception;

  /** Undoes what {@link #prepare} left on the server that would outlive the run (leases). */
  default void cleanUp(Connections conns) {}
}
