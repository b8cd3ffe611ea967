package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Tells once when a recipe's own key is gone: deleted (by anyone: {@code etcdctl del}, a revoke), or
 * replaced by a key of another create revision. Watches the key from a given revision; when the
 * watch fails or ends, a get decides (gone, or watch again from the get's revision + 1), so a
 * compaction or reconnect neither misses a delete nor invents one. The get-then-watch loop, its
 * retries and its watch are {@link GetWatchLoop}'s.
 */
final class OwnKeyWatch extends GetWatchLoop {
  private final ByteSequence key;
  private final long createRevision;
  private final Consumer<String> onGone;
  private final AtomicBoolean reported = new AtomicBoolean();

  private OwnKeyWatch(Client client, ByteSequence key, long createRevision, Executor executor,
      Consumer<String> onGone) {
    super(client, executor, "own key " + key.toString(StandardCharsets.UTF_8));
    this.key = key;
    this.createRevision = createRevision;
    this.onGone = onGone;
  }

  /**
   * Watches {@code key} (created at {@code createRevision}) from {@code fromRevision}; calls {@code
   * onGone} with a reason, once, on {@code executor}, when it is gone, unless cancelled first.
   */
  static OwnKeyWatch start(Client client, ByteSequence key, long createRevision, long fromRevision,
      Executor executor, Consumer<String> onGone) {
    OwnKeyWatch w = new OwnKeyWatch(client, key, createRevision, executor, onGone);
    executor.execute(() -> w.watchFrom(fromRevision));
    return w;
  }

  void cancel() {
    stop();
  }

  @Override
  boolean ended() {
    return super.ended() || reported.get();
  }

  @Override
  CompletableFuture<GetResponse> get() {
    return kv.get(key);
  }

  @Override
  void onGet(GetResponse answer) {
    if (answer.getKvs().isEmpty()) {
      gone("it is no longer there (revision " + answer.getHeader().getRevision() + ")");
    } else if (answer.getKvs().get(0).getCreateRevision() != createRevision) {
      gone("it was re-created at revision " + answer.getKvs().get(0).getCreateRevision());
    } else {
      watchFrom(answer.getHeader().getRevision() + 1);
    }
  }

  private void watchFrom(long revision) {
    watch(key, revision, response -> {
      for (WatchEvent event : response.getEvents()) {
        KeyValue changed = event.getKeyValue();
        if (event.getEventType() == WatchEvent.EventType.DELETE) {
          gone("it was deleted at revision " + changed.getModRevision());
          break;
        }
        if (changed.getCreateRevision() != createRevision) {
          gone("it was re-created at revision " + changed.getCreateRevision());
          break;
        }
      }
      return false; // events never call for a get: only a failed or ended watch does
    });
  }

  /** On any thread (a watch event comes on jetcd's): reports once, on the executor, unless cancelled. */
  private void gone(String reason) {
    if (isStopped() || !reported.compareAndSet(false, true)) {
      return;
    }
    closeWatchLater();
    executor.execute(() -> {
      if (!isStopped()) {
        onGone.accept(reason);
      }
    });
  }
}
