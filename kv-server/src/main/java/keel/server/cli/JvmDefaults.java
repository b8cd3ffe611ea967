package keel.server.cli;

/**
 * JVM settings a Keel process needs before anything else runs, set from its main method (a
 * {@code -D} on the command line wins).
 */
public final class JvmDefaults {
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private JvmDefaults() {}

  /**
   * On a machine with fewer than three cores the JDK's common pool gets one thread, and then every
   * {@code CompletableFuture.*Async} call without an executor (Ratis makes them on the write and
   * read paths) starts a new thread of its own: a follower started and ended about a hundred
   * threads a second under a single client's puts. Two or more workers make those calls use the
   * common pool.
   */
  public static void apply() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM,
          String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }
}
