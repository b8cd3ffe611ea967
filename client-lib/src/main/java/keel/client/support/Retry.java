package keel.client.support;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** The recipes' one backoff: 100 ms doubling to at most 2 s, run later on a given executor. */
public final class Retry {
  public static final long FIRST_MILLIS = 100;
  public static final long MAX_MILLIS = 2_000;

  private long next = FIRST_MILLIS;

  /** Runs {@code task} on {@code executor} after the current backoff, then doubles it. */
  public void later(Executor executor, Runnable task) {
    long delay = next;
    next = Math.min(next * 2, MAX_MILLIS);
    CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, executor).execute(task);
  }

  /** Back to the first delay, after a success. */
  public void reset() {
    next = FIRST_MILLIS;
  }
}
