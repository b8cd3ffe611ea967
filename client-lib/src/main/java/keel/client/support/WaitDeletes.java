package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until no key under a prefix has a create revision at or below a bound: how etcd's
 * election and mutex wait for the contenders ahead of them (Go's {@code waitDeletes}). Repeatedly:
 * get the newest key created at or before the bound; if there is none, done; else watch that key
 * from the get's revision until it is deleted, and look again. Only the immediate predecessor is
 * watched, so a release wakes one waiter, not all (no herd).
 *
 * <p>A failed get or watch is retried with {@link Retry}'s backoff. Everything runs on the given
 * (serial) executor; {@link #cancel()} stops it and fails {@link #done()} with a {@link
 * CancellationException}.
 */
public final class WaitDeletes {
  private static final Logger LOG = LoggerFactory.getLogger(WaitDeletes.class);

  private final KV kv;
  private final Watch watch;
  private final ByteSequence prefix;
  private final long maxCreateRevision;
  private final Executor executor;
  private final CompletableFuture<Long> done = new CompletableFuture<>();
  private final Retry retry = new Retry();
  private volatile boolean cancelled;
  private Watch.Watcher watcher; // guarded by this

  private WaitDeletes(Client client, ByteSequence prefix, long maxCreateRevision, Executor executor) {
    this.kv = client.getKVClient();
    this.watch = client.getWatchClient();
    this.prefix = prefix;
    this.maxCreateRevision = maxCreateRevision;
    this.executor = executor;
  }

  /** Starts waiting for every key under {@code prefix} created at or before {@code maxCreateRevision}. */
  public static WaitDeletes start(Client client, ByteSequence prefix, long maxCreateRevision, Executor executor) {
    WaitDeletes wait = new WaitDeletes(client, prefix, maxCreateRevision, executor);
    executor.execute(wait::check);
    return wait;
  }

  /** Completes with the revision at which no such key was left. */
  public CompletableFuture<Long> done() {
    return done;
  }

  public void cancel() {
    cancelled = true;
    closeWatcher();
    done.completeExceptionally(new CancellationException("stopped waiting for the keys ahead"));
  }

  private void check() {
    if (cancelled) {
      return;
    }
    GetOption newestAhead = GetOption.builder()
        .isPrefix(true)
        .withKeysOnly(true)
        .withSortField(GetOption.SortTarget.CREATE)
        .withSortOrder(GetOption.SortOrder.DESCEND)
        .withMaxCreateRevision(maxCreateRevision)
        .withLimit(1)
        .build();
    CompletableFuture<GetResponse> get;
    try {
      get = kv.get(prefix, newestAhead);
    } catch (RuntimeException e) {
      get = CompletableFuture.failedFuture(e);
    }
    get.whenCompleteAsync((response, error) -> {
      if (cancelled) {
        return;
      }
      if (error != null) {
        LOG.debug("looking for the keys ahead under {} failed ({}); retrying", prefix, EtcdErrors.describe(error));
        retry.later(executor, this::check);
        return;
      }
      retry.reset();
      if (response.getKvs().isEmpty()) {
        done.complete(response.getHeader().getRevision());
        return;
      }
      KeyValue ahead = response.getKvs().get(0);
      awaitDelete(ahead.getKey(), response.getHeader().getRevision());
    }, executor);
  }

  private void awaitDelete(ByteSequence key, long fromRevision) {
    AtomicBoolean fired = new AtomicBoolean();
    Runnable next = () -> {
      if (fired.compareAndSet(false, true)) {
        executor.execute(() -> {
          closeWatcher();
          check();
        });
      }
    };
    Watch.Listener listener = Watch.listener(
        response -> {
          for (WatchEvent event : response.getEvents()) {
            if (event.getEventType() == WatchEvent.EventType.DELETE) {
              next.run();
              return;
            }
          }
        },
        error -> next.run(), // look again: the get tells whether it is still there
        next);
    Watch.Watcher started;
    try {
      started = watch.watch(key, WatchOption.builder().withRevision(fromRevision).build(), listener);
    } catch (RuntimeException e) {
      LOG.debug("watching {} failed ({}); retrying", key, EtcdErrors.describe(e));
      retry.later(executor, this::check);
      return;
    }
    synchronized (this) {
      if (!cancelled) {
        watcher = started;
        return;
      }
    }
    started.close();
  }

  private void closeWatcher() {
    Watch.Watcher old;
    synchronized (this) {
      old = watcher;
      watcher = null;
    }
    if (old != null) {
      old.close();
    }
  }
}
