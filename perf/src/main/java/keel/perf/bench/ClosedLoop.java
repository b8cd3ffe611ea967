package keel.perf.bench;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * {@code clients} requesters, each keeping exactly one request in flight, as etcd's benchmark tool
 * does; without a thread per client: each answer's callback sends that client's next request.
 * Requests are numbered from 0 in the order they are taken; the {@link RunLength} says when to
 * stop taking them, the {@link Pacer} when each is due. One timer thread sends the requests that
 * must wait for {@code --rate}, and those whose answer came back before a callback could be hung on
 * it (so that a run of instant failures cannot recurse down one stack).
 */
final class ClosedLoop {
  /** A request not answered by then counts as an error, so a stalled server ends the run instead of hanging it. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** Sends request {@code n} for client {@code client}. */
  @FunctionalInterface
  interface Sender {
    Request send(int client, long n);
  }

  private final Load load;
  private final Pacer pacer;
  private final Sender sender;
  private final Stats stats;
  private final AtomicLong taken = new AtomicLong();
  private final CountDownLatch clientsDone;
  private ScheduledExecutorService timer;
  private long startNanos;

  ClosedLoop(Load load, Sender sender, Stats stats) {
    this.load = load;
    this.pacer = new Pacer(load.rate());
    this.sender = sender;
    this.stats = stats;
    this.clientsDone = new CountDownLatch(load.clients());
  }

  /** Runs every client until the run length is reached; returns when the last answer is in. */
  void run() throws InterruptedException {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keel-bench-pacer");
      t.setDaemon(true);
      return t;
    });
    try {
      startNanos = System.nanoTime();
      for (int c = 0; c < load.clients(); c++) {
        next(c);
      }
      clientsDone.await();
    } finally {
      timer.shutdownNow();
    }
  }

  /** Takes the next request number for {@code client} and sends it now or when it is due. */
  private void next(int client) {
    try {
      long n = taken.getAndIncrement();
      long elapsed = System.nanoTime() - startNanos;
      long delay = pacer.delayNanos(n, elapsed);
      if (!load.length().allows(n, elapsed + delay)) {
        clientsDone.countDown();
      } else if (delay > 0) {
        timer.schedule(() -> send(client, n), delay, TimeUnit.NANOSECONDS);
      } else {
        send(client, n);
      }
    } catch (RuntimeException | Error e) {
      // a bug, not an answer: stop this client rather than leave run() waiting for it forever
      stats.error(e);
      clientsDone.countDown();
    }
  }

  private void send(int client, long n) {
    long sent = System.nanoTime();
    Request request;
    try {
      request = sender.send(client, n);
    } catch (RuntimeException e) {
      stats.error(e);
      timer.execute(() -> next(client));
      return;
    }
    CompletableFuture<?> answer = request.answer().orTimeout(REQUEST_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
    BiConsumer<Object, Throwable> answered = (value, failure) -> {
      if (failure != null) {
        stats.error(failure);
      } else if (request.measured()) {
        stats.record(request.operation(), System.nanoTime() - sent);
      }
      next(client);
    };
    if (answer.isDone()) {
      answer.whenCompleteAsync(answered, timer);
    } else {
      answer.whenComplete(answered);
    }
  }
}
