package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells once when a recipe's own key is gone: deleted (by anyone: {@code etcdctl del}, a revoke), or
 * replaced by a key of another create revision. Watches the key from a given revision; when the
 * watch fails or ends, a get decides (gone, or watch again from the get's revision + 1), retried
 * with {@link Retry}'s backoff, so a compaction or reconnect neither misses a delete nor invents one.
 */
public final class OwnKeyWatch {
  private static final Logger LOG = LoggerFactory.getLogger(OwnKeyWatch.class);

  private final KV kv;
  private final Watch watch;
  private final ByteSequence key;
  private final long createRevision;
  private final Executor executor;
  private final Consumer<String> onGone;
  private final Retry retry = new Retry();
  private final AtomicBoolean reported = new AtomicBoolean();
  private volatile boolean cancelled;
  private Watch.Watcher watcher; // guarded by this

  private OwnKeyWatch(Client client, ByteSequence key, long createRevision, Executor executor,
      Consumer<String> onGone) {
    this.kv = client.getKVClient();
    this.watch = client.getWatchClient();
    this.key = key;
    this.createRevision = createRevision;
    this.executor = executor;
    this.onGone = onGone;
  }

  /**
   * Watches {@code key} (created at {@code createRevision}) from {@code fromRevision}; calls {@code
   * onGone} with a reason, once, on {@code executor}, when it is gone.
   */
  public static OwnKeyWatch start(Client client, ByteSequence key, long createRevision, long fromRevision,
      Executor executor, Consumer<String> onGone) {
    OwnKeyWatch w = new OwnKeyWatch(client, key, createRevision, executor, onGone);
    executor.execute(() -> w.watchFrom(fromRevision));
    return w;
  }

  public void cancel() {
    cancelled = true;
    closeWatcher();
  }

  private void watchFrom(long revision) {
    if (cancelled || reported.get()) {
      return;
    }
    AtomicBoolean failed = new AtomicBoolean();
    Runnable recheck = () -> {
      if (failed.compareAndSet(false, true)) {
        executor.execute(() -> {
          closeWatcher();
          check();
        });
      }
    };
    Watch.Listener listener = Watch.listener(
        response -> {
          for (WatchEvent event : response.getEvents()) {
            KeyValue kv = event.getKeyValue();
            if (event.getEventType() == WatchEvent.EventType.DELETE) {
              gone("it was deleted at revision " + kv.getModRevision());
              return;
            }
            if (kv.getCreateRevision() != createRevision) {
              gone("it was re-created at revision " + kv.getCreateRevision());
              return;
            }
          }
        },
        error -> recheck.run(),
        recheck);
    Watch.Watcher started;
    try {
      started = watch.watch(key, WatchOption.builder().withRevision(revision).build(), listener);
    } catch (RuntimeException e) {
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

  private void check() {
    if (cancelled || reported.get()) {
      return;
    }
    CompletableFuture<GetResponse> get;
    try {
      get = kv.get(key);
    } catch (RuntimeException e) {
      get = CompletableFuture.failedFuture(e);
    }
    get.whenCompleteAsync((response, error) -> {
      if (cancelled) {
        return;
      }
      if (error != null) {
        LOG.debug("checking {} failed ({}); retrying", key, EtcdErrors.describe(error));
        retry.later(executor, this::check);
        return;
      }
      retry.reset();
      if (response.getKvs().isEmpty()) {
        gone("it is no longer there (revision " + response.getHeader().getRevision() + ")");
      } else if (response.getKvs().get(0).getCreateRevision() != createRevision) {
        gone("it was re-created at revision " + response.getKvs().get(0).getCreateRevision());
      } else {
        watchFrom(response.getHeader().getRevision() + 1);
      }
    }, executor);
  }

  private void gone(String reason) {
    if (cancelled || !reported.compareAndSet(false, true)) {
      return;
    }
    closeWatcherLater();
    executor.execute(() -> {
      if (!cancelled) {
        onGone.accept(reason);
      }
    });
  }

  private void closeWatcherLater() {
    executor.execute(this::closeWatcher);
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
