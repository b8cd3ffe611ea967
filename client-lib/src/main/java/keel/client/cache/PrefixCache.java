package keel.client.cache;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import keel.client.support.CurrentWatch;
import keel.client.support.EtcdErrors;
import keel.client.support.EventThreads;
import keel.client.support.KeyOrder;
import keel.client.support.Listeners;
import keel.client.support.Retry;
import keel.client.support.SerialExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local mirror of every key under a prefix: a linearizable get, then a watch from the get's
 * revision + 1, so that each change after the loaded view is seen exactly once, in revision order.
 *
 * <p><b>Resync.</b> When the watch is cancelled (compaction: jetcd's {@link CompactedException}),
 * fails (connection lost, no leader), or ends, the cache reloads with a get, tells listeners the diff
 * between the view before and after through {@link PrefixCacheListener#onResync}, and watches again
 * from the new get's revision + 1. A reload that fails is retried with {@link Retry}'s backoff (100 ms
 * doubling to 2 s) until it succeeds or the cache is closed, so a cluster restarted on its data, a member that
 * comes back, or one that lost its data all end in a correct view. Events of a watch that was given
 * up are dropped (each watch has a generation number), so nothing is delivered twice; the diff stands
 * for what happened meanwhile, so nothing is missed.
 *
 * <p><b>Threads.</b> State changes run one at a time on a serial executor over daemon threads, never
 * on jetcd's event loop; each listener is called on its own executor, one call at a time, in order.
 * Add listeners before {@link #start()} to hear of every change after the loaded view.
 *
 * <pre>{@code
 * try (PrefixCache cache = new PrefixCache(client, prefix)) {
 *   cache.addListener(listener, executor);
 *   CacheSnapshot loaded = cache.start().get(10, SECONDS);
 * }
 * }</pre>
 */
public final class PrefixCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PrefixCache.class);
  /** A get that takes longer (e.g. stuck on a paused member) is given up and retried. */
  static final long LOAD_TIMEOUT_MILLIS = 10_000;

  private final KV kv;
  private final CurrentWatch watch;
  private final ByteSequence prefix;
  private final String name;
  private final SerialExecutor serial = new SerialExecutor(EventThreads.shared());
  private final CompletableFuture<CacheSnapshot> loaded = new CompletableFuture<>();
  private final Listeners<PrefixCacheListener> listeners = new Listeners<>();
  private volatile CacheSnapshot current = CacheSnapshot.empty();
  private volatile boolean closed;
  private boolean started; // guarded by this

  // Confined to the serial executor:
  private long generation;
  private boolean loadedOnce;
  private final Retry retry = new Retry();
  private boolean retrying; // since the last successful load

  public PrefixCache(Client client, ByteSequence prefix) {
    Objects.requireNonNull(client, "client");
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("a PrefixCache needs a non-empty prefix");
    }
    this.kv = client.getKVClient();
    this.watch = new CurrentWatch(client.getWatchClient());
    this.name = "cache " + prefix.toString(StandardCharsets.UTF_8);
  }

  /** Calls {@code listener} on {@code executor} for every change from now on. */
  public void addListener(PrefixCacheListener listener, Executor executor) {
    listeners.add(listener, executor);
  }

  /** Removes a listener added by {@link #addListener}. */
  public void removeListener(PrefixCacheListener listener) {
    listeners.remove(listener);
  }

  /**
   * Loads the prefix and starts watching it. The future completes with the loaded view (retrying
   * the get until the cluster answers), or exceptionally if the cache is closed first. Calling it
   * again returns the same outcome.
   */
  public CompletableFuture<CacheSnapshot> start() {
    boolean first;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException(name + " is closed");
      }
      first = !started;
      started = true;
    }
    if (first) {
      serial.execute(this::reload);
    }
    return loaded.copy();
  }

  /** The current view (empty at revision 0 before it is loaded). */
  public CacheSnapshot snapshot() {
    return current;
  }

  public ByteSequence prefix() {
    return prefix;
  }

  /** Stops watching; listeners hear nothing more. Safe to call twice. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    watch.close();
    loaded.completeExceptionally(new CancellationException(name + " was closed before it loaded"));
  }

  // ---- load and resync (serial) ----

  private void reload() {
    if (closed) {
      return;
    }
    long gen = ++generation;
    watch.closeCurrent(); // its late events and its onCompleted carry an old generation: ignored
    CompletableFuture<GetResponse> get;
    try {
      get = kv.get(prefix, GetOption.builder().isPrefix(true).build())
          .orTimeout(LOAD_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      get = CompletableFuture.failedFuture(e);
    }
    get.whenCompleteAsync((response, error) -> onLoaded(gen, response, error), serial);
  }

  private void onLoaded(long gen, GetResponse response, Throwable error) {
    if (closed || gen != generation) {
      return;
    }
    if (error != null) {
      retryLater(gen, "could not load the prefix", error);
      return;
    }
    long revision = response.getHeader().getRevision();
    TreeMap<ByteSequence, KeyValue> entries = new TreeMap<>(KeyOrder.UNSIGNED);
    for (KeyValue kv : response.getKvs()) {
      entries.put(kv.getKey(), kv);
    }
    CacheSnapshot before = current;
    CacheSnapshot after = new CacheSnapshot(revision, entries);
    current = after;
    if (retrying) {
      retrying = false;
      retry.reset();
    }
    if (!loadedOnce) {
      loadedOnce = true;
      LOG.info("{}: loaded {} keys at revision {}", name, after.size(), revision);
      loaded.complete(after);
    } else {
      List<CacheChange> diff = List.copyOf(CacheDiff.between(before.entries(), after.entries(), revision));
      LOG.info("{}: resynced at revision {} (was {}): {} keys, {} changed", name, revision, before.revision(),
          after.size(), diff.size());
      listeners.tell(l -> l.onResync(diff, after));
    }
    startWatch(gen, revision + 1);
  }

  private void startWatch(long gen, long fromRevision) {
    WatchOption option = WatchOption.builder()
        .isPrefix(true)
        .withRevision(fromRevision)
        .withRequireLeader(true)
        .build();
    Watch.Listener listener = Watch.listener(
        response -> serial.execute(() -> onWatch(gen, response)),
        error -> serial.execute(() -> onWatchFailed(gen, error)),
        () -> serial.execute(() -> onWatchEnded(gen)));
    try {
      watch.start(prefix, option, listener);
    } catch (RuntimeException e) {
      retryLater(gen, "could not start the watch", e);
    }
  }

  private void retryLater(long gen, String what, Throwable error) {
    Throwable cause = EtcdErrors.unwrap(error);
    if (cause instanceof ClosedClientException) {
      LOG.error("{}: {}: the jetcd client is closed; the cache stops here", name, what);
      loaded.completeExceptionally(cause);
      return;
    }
    if (!retrying) {
      LOG.warn("{}: {} ({}); retrying, at most every {} ms, until the cluster answers", name, what,
          EtcdErrors.describe(error), Retry.MAX_MILLIS);
      retrying = true;
    } else {
      LOG.debug("{}: {} ({}); retrying", name, what, EtcdErrors.describe(error));
    }
    retry.later(serial, () -> {
      if (!closed && gen == generation) {
        reload();
      }
    });
  }

  // ---- the watch (serial) ----

  private void onWatch(long gen, WatchResponse response) {
    if (closed || gen != generation) {
      return;
    }
    CacheSnapshot before = current;
    long floor = before.revision();
    long revision = floor;
    TreeMap<ByteSequence, KeyValue> entries = null;
    List<CacheChange> changes = new ArrayList<>();
    for (WatchEvent event : response.getEvents()) {
      KeyValue kv = event.getKeyValue();
      long eventRevision = kv.getModRevision();
      if (eventRevision <= floor) {
        continue; // already in the view
      }
      if (eventRevision < revision) {
        LOG.warn("{}: the watch delivered revision {} after {}; reloading", name, eventRevision, revision);
        reload();
        return;
      }
      if (entries == null) {
        entries = new TreeMap<>(before.entries());
      }
      switch (event.getEventType()) {
        case PUT -> {
          entries.put(kv.getKey(), kv);
          changes.add(new CacheChange(CacheChange.Type.PUT, kv.getKey(), kv, eventRevision));
        }
        case DELETE -> {
          KeyValue previous = entries.remove(kv.getKey());
          changes.add(new CacheChange(CacheChange.Type.DELETE, kv.getKey(), previous, eventRevision));
        }
        case UNRECOGNIZED -> {
          LOG.warn("{}: an event of unknown type at revision {}; reloading", name, eventRevision);
          reload();
          return;
        }
      }
      revision = eventRevision;
    }
    if (changes.isEmpty()) {
      return;
    }
    CacheSnapshot after = new CacheSnapshot(revision, entries);
    current = after;
    List<CacheChange> delivered = List.copyOf(changes);
    listeners.tell(l -> l.onChanges(delivered, after));
  }

  private void onWatchFailed(long gen, Throwable error) {
    if (closed || gen != generation) {
      return;
    }
    Throwable cause = EtcdErrors.unwrap(error);
    if (cause instanceof CompactedException compacted) {
      LOG.info("{}: the watch was compacted away (compact revision {}); reloading", name,
          compacted.getCompactedRevision());
    } else {
      LOG.info("{}: the watch failed ({}); reloading", name, EtcdErrors.describe(error));
    }
    reload();
  }

  private void onWatchEnded(long gen) {
    if (closed || gen != generation) {
      return;
    }
    LOG.info("{}: the watch ended; reloading", name);
    reload();
  }
}
