package keel.client.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import keel.client.cache.CacheChange;
import keel.client.cache.CacheSnapshot;
import keel.client.cache.PrefixCache;
import keel.client.cache.PrefixCacheListener;
import keel.client.support.RecipeKeys;
import keel.client.support.SerialExecutor;

/**
 * Watching who leads an election, from {@link LeaderElection#observe}: a {@link PrefixCache} of
 * {@code <name>/} whose oldest key is the leader. The listener hears the current leader once the
 * cache is loaded, then every change of leader or of its value (a new leader, none, a proclaim),
 * one call at a time in revision order; a resync after compaction or reconnect reports only what
 * differs. Close it to stop.
 */
public final class Observation implements AutoCloseable {
  private final PrefixCache cache;
  private final Consumer<Optional<LeaderInfo>> listener;
  private final SerialExecutor serial;
  private volatile boolean closed;
  // Confined to serial:
  private boolean reported;
  private volatile Optional<LeaderInfo> last = Optional.empty();
  private long lastRevision = -1;

  Observation(Client client, ByteSequence name, Consumer<Optional<LeaderInfo>> listener, Executor executor) {
    this.cache = new PrefixCache(client, RecipeKeys.prefix(name));
    this.listener = Objects.requireNonNull(listener, "listener");
    this.serial = new SerialExecutor(Objects.requireNonNull(executor, "executor"));
  }

  void start() {
    cache.addListener(new PrefixCacheListener() {
      @Override
      public void onChanges(List<CacheChange> changes, CacheSnapshot after) {
        report();
      }

      @Override
      public void onResync(List<CacheChange> diff, CacheSnapshot after) {
        report();
      }
    }, serial);
    cache.start().thenRun(() -> serial.execute(this::report));
  }

  /** The leader as last reported (empty before the first report or when none leads). */
  public Optional<LeaderInfo> current() {
    return last;
  }

  @Override
  public void close() {
    closed = true;
    cache.close();
  }

  private void report() {
    CacheSnapshot snapshot = cache.snapshot();
    if (closed || snapshot.revision() < lastRevision || snapshot.revision() == 0) {
      return;
    }
    lastRevision = snapshot.revision();
    Optional<LeaderInfo> leader = oldest(snapshot);
    if (!reported || !leader.equals(last)) {
      reported = true;
      last = leader;
      listener.accept(leader);
    }
  }

  static Optional<LeaderInfo> oldest(CacheSnapshot snapshot) {
    KeyValue oldest = null;
    for (KeyValue kv : snapshot.entries().values()) {
      if (oldest == null || kv.getCreateRevision() < oldest.getCreateRevision()) {
        oldest = kv;
      }
    }
    return Optional.ofNullable(oldest).map(LeaderInfo::of);
  }
}
