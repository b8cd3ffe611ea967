package keel.server.v2store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import keel.server.errors.V2Exception;

/**
 * The v2 watchers by key, and the event history (etcd's {@code watcherHub}). The map is only
 * looked up by key, never iterated, so its order is never observable; the watchers of one key
 * are notified in registration order.
 *
 * <p>Lock: {@code this}. {@link V2Store} calls in with its own lock held (write lock to notify,
 * read lock to watch), so no event can slip between a history scan and a registration.
 */
final class WatcherHub {
  private final Map<String, List<V2Watcher>> watchers = new HashMap<>();
  private final Executor executor;
  final EventHistory history;
  private int count;

  WatcherHub(int historyCapacity, Executor executor) {
    this.history = new EventHistory(historyCapacity);
    this.executor = executor;
  }

  synchronized int count() {
    return count;
  }

  synchronized V2Watcher watch(String key, boolean recursive, boolean stream, long sinceIndex,
      long storeIndex) {
    V2Event found;
    try {
      found = history.scan(key, recursive, sinceIndex);
    } catch (V2Exception e) {
      throw e.withIndex(storeIndex);
    }
    V2Watcher w = new V2Watcher(key, recursive, stream, sinceIndex, storeIndex, executor);
    if (found != null) {
      // etcd answers from history at once, with the store index of now; such a watcher
      // is never registered, even a stream one (etcd 3.4 does the same).
      w.deliver(found.withEtcdIndex(storeIndex));
      return w;
    }
    List<V2Watcher> list = watchers.computeIfAbsent(key, k -> new ArrayList<>());
    list.add(w);
    count++;
    w.remover = () -> remove(key, w);
    return w;
  }

  private synchronized void remove(String key, V2Watcher w) {
    if (w.removed) {
      return;
    }
    w.removed = true;
    List<V2Watcher> list = watchers.get(key);
    if (list != null && list.remove(w)) {
      count--;
      if (list.isEmpty()) {
        watchers.remove(key);
      }
    }
  }

  /** Records a refresh event: history only, no watcher is told (etcd's {@code add}). */
  synchronized void add(V2Event e) {
    history.add(e);
  }

  /**
   * Records the event and tells the watchers of its key and of every ancestor ("/", "/foo",
   * "/foo/bar" for "/foo/bar").
   */
  synchronized void notify(V2Event e) {
    history.add(e);
    String key = e.node().key();
    notifyWatchers(e, "/", false);
    int from = 1;
    while (from < key.length()) {
      int slash = key.indexOf('/', from);
      String prefix = slash < 0 ? key : key.substring(0, slash);
      notifyWatchers(e, prefix, false);
      if (slash < 0) {
        break;
      }
      from = slash + 1;
    }
  }

  /**
   * Tells the watchers registered at exactly {@code nodePath}. {@code deleted}: nodePath is being
   * removed with a directory above it, so its watchers hear of it even if not recursive.
   */
  synchronized void notifyWatchers(V2Event e, String nodePath, boolean deleted) {
    List<V2Watcher> list = watchers.get(nodePath);
    if (list == null) {
      return;
    }
    boolean originalPath = e.node().key().equals(nodePath);
    Iterator<V2Watcher> it = new ArrayList<>(list).iterator();
    while (it.hasNext()) {
      V2Watcher w = it.next();
      if (w.removed) {
        continue;
      }
      if ((originalPath || !isHidden(nodePath, e.node().key())) && w.notify(e, originalPath,
          deleted) && !w.stream) {
        remove(nodePath, w);
      }
    }
  }

  /**
   * Whether {@code keyPath} is hidden from a watcher at {@code watchPath}: some element below
   * the watch path starts with '_'. A watch path deeper than the key (a watcher under a deleted
   * directory) is never hidden.
   */
  static boolean isHidden(String watchPath, String keyPath) {
    if (watchPath.length() > keyPath.length()) {
      return false;
    }
    String after = V2Paths.clean("/" + keyPath.substring(watchPath.length()));
    return after.contains("/_");
  }
}
