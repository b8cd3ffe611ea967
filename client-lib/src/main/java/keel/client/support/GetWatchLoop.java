package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop under {@link WaitDeletes} and {@link OwnKeyWatch}: a get decides (finished, or watch a key
 * from the get's revision); the watch's events say when to look again; a watch that fails or ends is
 * given up and the get asks again. So a compaction, a reconnect or a leader change neither misses a
 * delete nor invents one: the get, not the broken watch, tells what became of the key.
 *
 * <p>A failed get or watch start is retried with {@link Retry}'s backoff. Gets, their answers and the
 * next watch run on the given (serial) executor; watch events arrive on jetcd's threads. {@link
 * #stop()} ends the loop and closes its watch.
 */
abstract class GetWatchLoop {
  private static final Logger LOG = LoggerFactory.getLogger(GetWatchLoop.class);

  final KV kv;
  final Executor executor;
  private final String what;
  private final CurrentWatch watch;
  private final Retry retry = new Retry();
  private volatile boolean stopped;

  /** {@code what} names the loop in debug logs, e.g. "the keys ahead under x/". */
  GetWatchLoop(Client client, Executor executor, String what) {
    this.kv = client.getKVClient();
    this.watch = new CurrentWatch(client.getWatchClient());
    this.executor = executor;
    this.what = what;
  }

  /** The get that decides; called on the executor. */
  abstract CompletableFuture<GetResponse> get();

  /** On the executor, with a successful get's answer: finish, or {@link #watch} from its revision. */
  abstract void onGet(GetResponse answer);

  /** Nothing more to do: stopped, or (a subclass may add) finished. Checked before every step. */
  boolean ended() {
    return stopped;
  }

  final boolean isStopped() {
    return stopped;
  }

  /** Ends the loop: no further get or watch, and the current watch is closed. */
  final void stop() {
    stopped = true;
    watch.close();
  }

  /** Gets (again), on the executor's thread. */
  final void check() {
    if (ended()) {
      return;
    }
    CompletableFuture<GetResponse> get;
    try {
      get = get();
    } catch (RuntimeException e) {
      get = CompletableFuture.failedFuture(e);
    }
    get.whenCompleteAsync((answer, error) -> {
      if (ended()) {
        return;
      }
      if (error != null) {
        LOG.debug("{}: the get failed ({}); retrying", what, EtcdErrors.describe(error));
        retry.later(executor, this::check);
        return;
      }
      retry.reset();
      onGet(answer);
    }, executor);
  }

  /**
   * Watches {@code key} from {@code fromRevision}. Each response goes to {@code lookAgain} (on jetcd's
   * thread); when it answers true, or the watch fails or ends, the watch is given up and the loop gets
   * again: once per watch, however many responses follow.
   */
  final void watch(ByteSequence key, long fromRevision, Predicate<WatchResponse> lookAgain) {
    if (ended()) {
      return;
    }
    AtomicBoolean looked = new AtomicBoolean();
    Runnable again = () -> {
      if (looked.compareAndSet(false, true)) {
        executor.execute(() -> {
          watch.closeCurrent();
          check();
        });
      }
    };
    Watch.Listener listener = Watch.listener(
        response -> {
          if (lookAgain.test(response)) {
            again.run();
          }
        },
        error -> again.run(), // the get tells whether the key is still there
        again);
    try {
      watch.start(key, WatchOption.builder().withRevision(fromRevision).build(), listener);
    } catch (RuntimeException e) {
      LOG.debug("{}: watching {} failed ({}); retrying", what, key, EtcdErrors.describe(e));
      retry.later(executor, this::check);
    }
  }

  /** Gives up the current watch soon, on the executor: never from inside the watch's own listener. */
  final void closeWatchLater() {
    executor.execute(watch::closeCurrent);
  }
}
