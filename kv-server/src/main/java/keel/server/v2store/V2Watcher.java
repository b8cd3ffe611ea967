package keel.server.v2store;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A v2 watch (etcd's {@code watcher}): one-shot ({@code wait=true}) or streaming
 * ({@code stream=true}).
 *
 * <p>Delivery never runs the front door's code on the apply thread: events are offered to a
 * bounded queue (100, as etcd's channel) and {@link #firstEvent()} is completed through the
 * hub's executor. A stream watcher whose queue is full is dropped and {@link #isClosed() closed},
 * as etcd closes the channel of a watcher it cannot keep up with; the front door then ends the
 * response.
 */
public final class V2Watcher implements AutoCloseable {
  static final int QUEUE_CAPACITY = 100;

  final String key;
  final boolean recursive;
  final boolean stream;
  final long sinceIndex;
  private final long startIndex;
  private final Executor executor;
  private final BlockingQueue<V2Event> events = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final CompletableFuture<V2Event> first = new CompletableFuture<>();
  private volatile boolean closed;
  /** Run on the executor after each delivery and when the hub drops this watcher. */
  private volatile Runnable listener;
  /** Set by the hub when registered; guarded by the hub's lock. */
  Runnable remover;
  boolean removed;

  V2Watcher(String key, boolean recursive, boolean stream, long sinceIndex, long startIndex,
      Executor executor) {
    this.key = key;
    this.recursive = recursive;
    this.stream = stream;
    this.sinceIndex = sinceIndex;
    this.startIndex = startIndex;
    this.executor = executor;
  }

  /** The store index when the watch was made: etcd's X-Etcd-Index for a watch response. */
  public long startIndex() {
    return startIndex;
  }

  public boolean isStream() {
    return stream;
  }

  /**
   * Completes, on the hub's executor, with the first event delivered; cancelled by
   * {@link #close()} if none came.
   */
  public CompletableFuture<V2Event> firstEvent() {
    return first;
  }

  /**
   * For a stream: {@code listener} runs on the hub's executor after every event delivered and once
   * the hub drops this watcher; it should drain with {@link #poll} and end the response when
   * {@link #isClosed()}. Runs once at once if events are already waiting.
   */
  public void onDelivery(Runnable listener) {
    this.listener = listener;
    if (!events.isEmpty() || closed) {
      executor.execute(listener);
    }
  }

  /** The next event, waiting up to the timeout; null on timeout, or once closed and drained. */
  public V2Event poll(long timeout, TimeUnit unit) throws InterruptedException {
    V2Event e = events.poll();
    if (e != null || closed) {
      return e;
    }
    return events.poll(timeout, unit);
  }

  /** True once closed by the caller or dropped by the hub (queue overflow). */
  public boolean isClosed() {
    return closed;
  }

  /** Stops watching (etcd's {@code Remove}). Idempotent. */
  @Override
  public void close() {
    closed = true;
    Runnable r = remover;
    if (r != null) {
      r.run();
    }
    first.cancel(false);
  }

  /**
   * etcd's {@code watcher.notify}: whether this watcher takes the event. Called by the hub under
   * its lock; never blocks.
   */
  boolean notify(V2Event e, boolean originalPath, boolean deleted) {
    if (!((recursive || originalPath || deleted) && e.index() >= sinceIndex)) {
      return false;
    }
    deliver(e);
    return true;
  }

  void deliver(V2Event e) {
    if (!events.offer(e)) {
      closed = true;
      if (remover != null) {
        remover.run();
      }
      tellListener();
      return;
    }
    if (!first.isDone()) {
      executor.execute(() -> first.complete(e));
    }
    tellListener();
  }

  private void tellListener() {
    Runnable l = listener;
    if (l != null) {
      executor.execute(l);
    }
  }
}
