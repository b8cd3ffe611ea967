package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import java.util.Objects;

/**
 * The one live jetcd watch of a watching part (a {@code PrefixCache}, a wait for the keys ahead, an
 * own-key watch): started, given up when its owner looks again, and closed for good with its owner.
 * A watch that starts after {@link #close()} (a start racing the close) is closed at once, so no
 * watch outlives its owner. Watchers are closed outside the lock: jetcd may call the listener back.
 */
public final class CurrentWatch implements AutoCloseable {
  private final Watch watch;
  private Watch.Watcher current; // guarded by this
  private boolean closed; // guarded by this

  public CurrentWatch(Watch watch) {
    this.watch = Objects.requireNonNull(watch, "watch");
  }

  /**
   * Starts watching {@code key} and makes it the current watch (closing one still current).
   *
   * @throws RuntimeException what jetcd throws when it cannot start a watch (e.g. a closed client):
   *     the caller retries or gives up
   */
  public void start(ByteSequence key, WatchOption option, Watch.Listener listener) {
    Watch.Watcher started = watch.watch(key, option, listener);
    Watch.Watcher replaced;
    synchronized (this) {
      if (closed) {
        replaced = started;
      } else {
        replaced = current;
        current = started;
      }
    }
    if (replaced != null) {
      replaced.close();
    }
  }

  /** Gives up the current watch, if any (its late events are the listener's to ignore); start may follow. */
  public void closeCurrent() {
    Watch.Watcher old;
    synchronized (this) {
      old = current;
      current = null;
    }
    if (old != null) {
      old.close();
    }
  }

  /** Closes the current watch and every one started from now on. Safe to call twice. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    closeCurrent();
  }
}
