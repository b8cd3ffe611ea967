package keel.client.support;

import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default executor for recipe listeners and for the recipes' own follow-up work that must not
 * run on jetcd's event loop: daemon threads named {@code keel-client-events-N}, created on demand
 * and gone after 10 s idle, so nothing needs closing and nothing lingers.
 */
public final class EventThreads {
  private static final AtomicInteger COUNT = new AtomicInteger();
  private static final ThreadFactory FACTORY = runnable -> {
    Thread thread = new Thread(runnable, "keel-client-events-" + COUNT.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  };
  private static final ThreadPoolExecutor SHARED =
      new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), FACTORY);

  private EventThreads() {}

  /** The shared default executor. */
  public static Executor shared() {
    return SHARED;
  }
}
