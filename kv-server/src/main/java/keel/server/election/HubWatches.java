package keel.server.election;

import com.google.protobuf.ByteString;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.watch.WatchHub;
import keel.server.watch.WatchSpec;
import keel.server.watch.WatchUpdate;
import keel.server.watch.Watcher;

/**
 * The recipes' watches, served by this member's watch hub like any client's: the hub only signals
 * that updates wait, and {@code executor} drains them, so a recipe never runs on the hub thread.
 */
public final class HubWatches implements Watches {
  private final WatchHub hub;
  private final Executor executor;

  public HubWatches(WatchHub hub, Executor executor) {
    this.hub = hub;
    this.executor = executor;
  }

  @Override
  public Handle watch(ByteString key, ByteString rangeEnd, long startRevision, Listener listener) {
    Drain drain = new Drain(listener);
    Watcher watcher = hub.watcher(-1, new WatchSpec(key, rangeEnd, startRevision, false, false, false), false,
        drain::signal);
    drain.watcher = watcher;
    hub.start(watcher);
    return () -> hub.cancel(watcher);
  }

  private final class Drain implements Runnable {
    private final Listener listener;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    volatile Watcher watcher;

    Drain(Listener listener) {
      this.listener = listener;
    }

    void signal() {
      if (scheduled.compareAndSet(false, true)) {
        executor.execute(this);
      }
    }

    @Override
    public void run() {
      scheduled.set(false);
      for (WatchUpdate update; (update = watcher.poll()) != null; ) {
        if (update.isCompaction()) {
          hub.cancel(watcher);
          listener.onError(new EtcdException(EtcdError.COMPACTED));
          return;
        }
        if (!update.events().isEmpty()) {
          listener.onEvents(update.revision(), update.events());
        }
      }
    }
  }
}
