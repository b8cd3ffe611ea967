package keel.server.v2store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;

/**
 * etcd 3.4's v2 key tree ({@code etcdserver/api/v2store/store.go}), applied from the Raft log on
 * every member, so deterministic: no clock, no randomness, no hash order.
 *
 * <p><b>Time</b> enters only as arguments, in Unix epoch nanoseconds: {@code expireAt} is the
 * absolute expiry the front door chose before proposing (its now + ttl; 0 = permanent; like etcd,
 * a create or set with an instant before 2000-01-01 makes a permanent node); {@code now} is the
 * proposer's clock carried in the command, used only to print {@code ttl} in the event (etcd
 * uses its apply-time clock there); a read passes its own now. {@link #deleteExpiredKeys} takes
 * the cutoff of a leader-proposed sweep (etcd's SYNC).
 *
 * <p><b>Index</b>: every successful change and every expired node advances {@link #index()} by
 * one and records one event with that index. Failed operations and reads do not. etcd's store
 * starts at 0; a fresh single-member etcd 3.4 server answers X-Etcd-Index 3 because its hidden
 * "/0" membership tree took indexes 1-3 - pass that as {@code initialIndex} to match it.
 *
 * <p>Keys are the client's keys ("/foo"); etcd keeps them under "/1" and trims that prefix on
 * output, which is why the root prints without a key and errors never name "/1".
 *
 * <p>Errors are thrown as {@link V2Exception}, before anything changed (etcd's error, cause and
 * index). Lock: a read-write lock (etcd's worldLock); the {@link WatcherHub} lock nests inside it.
 */
public final class V2Store {
  /** etcd's {@code minExpireTime}: 2000-01-01T00:00:00Z. */
  static final long MIN_EXPIRE_TIME = 946_684_800L * 1_000_000_000L;
  /** etcd's history size. */
  public static final int DEFAULT_HISTORY = 1000;

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final WatcherHub hub;
  /** Nodes with a TTL, soonest first; ties by path, so a sweep's order is deterministic. */
  private final TreeSet<V2Node> ttlKeys = new TreeSet<>(
      Comparator.<V2Node>comparingLong(n -> n.expireAt).thenComparing(n -> n.path));
  private final V2Stats stats = new V2Stats();
  private V2Node root = V2Node.dir("/", 0, null, 0);
  private long currentIndex;

  /** An empty store at index 0, etcd's history size, watch futures completed on the common pool. */
  public V2Store() {
    this(0, DEFAULT_HISTORY, ForkJoinPool.commonPool());
  }

  /**
   * @param initialIndex the index before the first change
   * @param historyCapacity how many events {@code waitIndex} can reach back
   * @param watchExecutor completes {@link V2Watcher#firstEvent()} futures, off the apply thread
   */
  public V2Store(long initialIndex, int historyCapacity, Executor watchExecutor) {
    this.currentIndex = initialIndex;
    this.hub = new WatcherHub(historyCapacity, watchExecutor);
  }

  /** The store's current index (X-Etcd-Index). */
  public long index() {
    lock.readLock().lock();
    try {
      return currentIndex;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The operation counters ({@code /v2/stats/store}); callers record what they did. */
  public V2Stats stats() {
    return stats;
  }

  /**
   * Takes the next index for a change outside the client's tree. etcd 3.4 keeps its membership
   * in a hidden part of this same store (a create per initial member, a set per member publish
   * and per cluster version), so its X-Etcd-Index counts those changes too; Keel counts them
   * here to print the same indexes. The change is recorded in the history as a refresh, which no
   * watcher and no {@code waitIndex} scan ever sees, so the history's indexes stay consecutive.
   */
  public void recordHiddenChange() {
    lock.writeLock().lock();
    try {
      currentIndex++;
      hub.add(new V2Event(V2Event.SET, V2NodeExtern.bare("", currentIndex, currentIndex, false), null,
          currentIndex, true));
    } finally {
      lock.writeLock().unlock();
    }
  }

  public V2Event get(String nodePath, boolean recursive, boolean sorted, long now) {
    lock.readLock().lock();
    try {
      String p = V2Paths.clean(nodePath);
      V2Node n = internalGet(p);
      // children are always in key order: "sorted" costs nothing and unsorted is one valid order
      V2NodeExtern node = n.load(recursive, now);
      return new V2Event(V2Event.GET, node, null, currentIndex, false);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** POST (unique: an in-order key under nodePath) or PUT with prevExist=false. */
  public V2Event create(String nodePath, boolean dir, String value, boolean unique, long expireAt,
      long now) {
    lock.writeLock().lock();
    try {
      V2Event e = internalCreate(nodePath, dir, value, unique, false, expireAt, V2Event.CREATE,
          now);
      hub.notify(e);
      return e;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** PUT without conditions: creates or replaces a file (or creates a directory). */
  public V2Event set(String nodePath, boolean dir, String value, long expireAt, boolean refresh,
      long now) {
    lock.writeLock().lock();
    try {
      V2Node prev = null;
      V2Exception getErr = null;
      try {
        prev = internalGet(V2Paths.clean(nodePath));
      } catch (V2Exception ex) {
        if (ex.error() != V2Error.KEY_NOT_FOUND) {
          throw ex;
        }
        getErr = ex;
      }
      if (refresh) {
        if (getErr != null) {
          throw getErr;
        }
        value = prev.value;
      }
      V2NodeExtern prevRepr = prev == null ? null : prev.repr(false, now);
      V2Event e = internalCreate(nodePath, dir, value, false, true, expireAt, V2Event.SET, now);
      e = new V2Event(e.action(), e.node(), prevRepr, currentIndex, refresh);
      record(e);
      return e;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** PUT with prevExist=true and no other condition. */
  public V2Event update(String nodePath, String newValue, long expireAt, boolean refresh,
      long now) {
    lock.writeLock().lock();
    try {
      String p = V2Paths.clean(nodePath);
      checkNotRoot(p);
      long nextIndex = currentIndex + 1;
      V2Node n = internalGet(p);
      if (n.isDir() && !newValue.isEmpty()) {
        throw V2Error.NOT_FILE.toException(p, currentIndex);
      }
      if (refresh) {
        newValue = n.value;
      }
      V2NodeExtern prev = n.repr(false, now);
      // etcd's Write refuses a directory silently: the directory keeps its modifiedIndex
      // while the event reports nextIndex (seen on etcd 3.4.23: update of /d2 prints 27,
      // a later get prints 26)
      if (!n.isDir()) {
        n.value = newValue;
        n.modifiedIndex = nextIndex;
      }
      updateTtl(n, expireAt);
      V2NodeExtern node = new V2NodeExtern(p, n.isDir() ? null : newValue, n.isDir(), n.expireAt,
          n.ttl(now), null, nextIndex, n.createdIndex);
      V2Event e = new V2Event(V2Event.UPDATE, node, prev, nextIndex, refresh);
      record(e);
      currentIndex = nextIndex;
      return e;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * PUT with prevValue and/or prevIndex (with or without prevExist=true). An empty prevValue or a
   * zero prevIndex is not compared.
   */
  public V2Event compareAndSwap(String nodePath, String prevValue, long prevIndex, String value,
      long expireAt, boolean refresh, long now) {
    lock.writeLock().lock();
    try {
      String p = V2Paths.clean(nodePath);
      checkNotRoot(p);
      V2Node n = internalGet(p);
      if (n.isDir()) {
        throw V2Error.NOT_FILE.toException(p, currentIndex);
      }
      compare(n, prevValue, prevIndex);
      if (refresh) {
        value = n.value;
      }
      currentIndex++;
      V2NodeExtern prev = n.repr(false, now);
      n.value = value;
      n.modifiedIndex = currentIndex;
      updateTtl(n, expireAt);
      V2NodeExtern node = new V2NodeExtern(p, value, false, n.expireAt, n.ttl(now), null,
          currentIndex, n.createdIndex);
      V2Event e = new V2Event(V2Event.COMPARE_AND_SWAP, node, prev, currentIndex, refresh);
      record(e);
      return e;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** DELETE without conditions; recursive implies dir. */
  public V2Event delete(String nodePath, boolean dir, boolean recursive, long now) {
    lock.writeLock().lock();
    try {
      String p = V2Paths.clean(nodePath);
      checkNotRoot(p);
      if (recursive) {
        dir = true;
      }
      V2Node n = internalGet(p);
      long nextIndex = currentIndex + 1;
      V2Event e = new V2Event(V2Event.DELETE,
          V2NodeExtern.bare(p, nextIndex, n.createdIndex, n.isDir()), n.repr(false, now),
          nextIndex, false);
      if (n.isDir()) {
        if (!dir) {
          throw V2Error.NOT_FILE.toException(n.path, currentIndex);
        }
        if (!n.children.isEmpty() && !recursive) {
          throw V2Error.DIR_NOT_EMPTY.toException(n.path, currentIndex);
        }
      }
      remove(n, e);
      currentIndex++;
      hub.notify(e);
      return e;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** DELETE with prevValue and/or prevIndex: files only. */
  public V2Event compareAndDelete(String nodePath, String prevValue, long prevIndex, long now) {
    lock.writeLock().lock();
    try {
      String p = V2Paths.clean(nodePath);
      // no root check here, as in etcd: the root is a directory, so this answers "Not a file"
      V2Node n = internalGet(p);
      if (n.isDir()) {
        throw V2Error.NOT_FILE.toException(n.externKey(), currentIndex);
      }
      compare(n, prevValue, prevIndex);
      currentIndex++;
      V2Event e = new V2Event(V2Event.COMPARE_AND_DELETE,
          V2NodeExtern.bare(p, currentIndex, n.createdIndex, false), n.repr(false, now),
          currentIndex, false);
      remove(n, e);
      hub.notify(e);
      return e;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Removes every node whose expiry is at or before {@code cutoff}, soonest first, one
   * {@code expire} event and one index each. An expiring directory takes its subtree with it
   * (nodes inside it get no event of their own).
   */
  public List<V2Event> deleteExpiredKeys(long cutoff) {
    lock.writeLock().lock();
    try {
      List<V2Event> events = new ArrayList<>();
      while (!ttlKeys.isEmpty() && ttlKeys.first().expireAt <= cutoff) {
        V2Node n = ttlKeys.first();
        currentIndex++;
        V2Event e = new V2Event(V2Event.EXPIRE,
            V2NodeExtern.bare(n.path, currentIndex, n.createdIndex, n.isDir()),
            n.repr(false, cutoff), currentIndex, false);
        remove(n, e);
        hub.notify(e);
        events.add(e);
      }
      return events;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The soonest expiry in the tree, for the leader's sweep timer. */
  public OptionalLong nextExpiry() {
    lock.readLock().lock();
    try {
      return ttlKeys.isEmpty() ? OptionalLong.empty() : OptionalLong.of(ttlKeys.first().expireAt);
    } finally {
      lock.readLock().unlock();
    }
  }

  public boolean hasTtlKeys() {
    return nextExpiry().isPresent();
  }

  /**
   * Watches {@code key} for the first event at or after {@code sinceIndex} (0: the next change).
   * An event already in the history is delivered at once; an index older than the history is
   * 401 with the store's index.
   */
  public V2Watcher watch(String key, boolean recursive, boolean stream, long sinceIndex) {
    lock.readLock().lock();
    try {
      String p = V2Paths.clean(key);
      long since = sinceIndex == 0 ? currentIndex + 1 : sinceIndex;
      return hub.watch(p, recursive, stream, since, currentIndex);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Watchers waiting (etcd's {@code watchers} stat). */
  public int watcherCount() {
    return hub.count();
  }

  /** The whole tree, the index and the event history; see {@link V2Snapshot}. */
  public void writeTo(OutputStream out) throws IOException {
    lock.readLock().lock();
    try {
      synchronized (hub) {
        V2Snapshot.write(out, currentIndex, root, hub.history);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Replaces this store's tree, index and history with a snapshot's. Registered watchers stay
   * (as in etcd's recovery).
   */
  public void readFrom(InputStream in) throws IOException {
    V2Snapshot.Contents c = V2Snapshot.read(in);
    lock.writeLock().lock();
    try {
      synchronized (hub) {
        currentIndex = c.index();
        root = c.root();
        ttlKeys.clear();
        collectTtl(root);
        hub.history.clear();
        for (V2Event e : c.history()) {
          hub.history.add(e);
        }
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  // ---- internals, called with the lock held ----

  private void collectTtl(V2Node n) {
    if (!n.isPermanent()) {
      ttlKeys.add(n);
    }
    if (n.isDir()) {
      for (V2Node child : n.children.values()) {
        collectTtl(child);
      }
    }
  }

  private void checkNotRoot(String cleanPath) {
    if (cleanPath.equals("/")) {
      throw V2Error.ROOT_READ_ONLY.toException("/", currentIndex);
    }
  }

  private V2Event internalCreate(String nodePath, boolean dir, String value, boolean unique,
      boolean replace, long expireAt, String action, long now) {
    long currIndex = currentIndex;
    long nextIndex = currentIndex + 1;
    if (unique) {
      nodePath = nodePath + "/" + String.format("%020d", nextIndex);
    }
    String p = V2Paths.clean(nodePath);
    checkNotRoot(p);
    if (expireAt < MIN_EXPIRE_TIME) {
      expireAt = 0;
    }
    V2Node d = walkCreatingDirs(V2Paths.dirOf(p), currIndex);
    String name = V2Paths.nameOf(p);
    V2Node existing = d.children.get(name);
    if (existing != null) {
      if (!replace) {
        throw V2Error.NODE_EXIST.toException(p, currIndex);
      }
      if (existing.isDir()) {
        throw V2Error.NOT_FILE.toException(p, currIndex);
      }
      remove(existing, null);
    }
    V2Node n = dir ? V2Node.dir(p, nextIndex, d, expireAt)
        : V2Node.file(p, value, nextIndex, d, expireAt);
    d.children.put(name, n);
    if (!n.isPermanent()) {
      ttlKeys.add(n);
    }
    currentIndex = nextIndex;
    V2NodeExtern node = new V2NodeExtern(p, dir ? null : value, dir, n.expireAt, n.ttl(now), null,
        nextIndex, nextIndex);
    return new V2Event(action, node, null, nextIndex, false);
  }

  /**
   * Walks to the directory {@code dirPath} (ending in '/'), creating missing directories with
   * the next index, as etcd's checkDir does.
   */
  private V2Node walkCreatingDirs(String dirPath, long currIndex) {
    V2Node curr = root;
    for (String component : dirPath.split("/")) {
      if (component.isEmpty()) {
        continue;
      }
      V2Node child = curr.children.get(component);
      if (child == null) {
        child = V2Node.dir(V2Paths.join(curr.path, component), currentIndex + 1, curr, 0);
        curr.children.put(component, child);
      } else if (!child.isDir()) {
        throw V2Error.NOT_DIR.toException(child.path, currIndex);
      }
      curr = child;
    }
    return curr;
  }

  private V2Node internalGet(String cleanPath) {
    V2Node curr = root;
    for (String component : cleanPath.split("/")) {
      if (component.isEmpty()) {
        continue;
      }
      if (!curr.isDir()) {
        throw V2Error.NOT_DIR.toException(curr.path, currentIndex);
      }
      V2Node child = curr.children.get(component);
      if (child == null) {
        throw V2Error.KEY_NOT_FOUND.toException(V2Paths.join(curr.path, component),
            currentIndex);
      }
      curr = child;
    }
    return curr;
  }

  /**
   * Detaches {@code n} and its subtree (children first, in key order), dropping their TTLs;
   * with an event, tells the watchers of every removed path (etcd's Remove callback).
   */
  private void remove(V2Node n, V2Event e) {
    if (n.isDir()) {
      for (V2Node child : new ArrayList<>(n.children.values())) {
        remove(child, e);
      }
    }
    if (n.parent != null && n.parent.children.get(n.name()) == n) {
      n.parent.children.remove(n.name());
      if (e != null) {
        hub.notifyWatchers(e, n.path, true);
      }
      if (!n.isPermanent()) {
        ttlKeys.remove(n);
      }
    }
  }

  /** A TTL refresh goes to the history only (no watcher hears of it, as in etcd); other changes to both. */
  private void record(V2Event e) {
    if (e.refresh()) {
      hub.add(e);
    } else {
      hub.notify(e);
    }
  }

  /** etcd's UpdateTTL: 0 makes the node permanent. */
  private void updateTtl(V2Node n, long expireAt) {
    if (!n.isPermanent()) {
      ttlKeys.remove(n);
    }
    n.expireAt = expireAt;
    if (!n.isPermanent()) {
      ttlKeys.add(n);
    }
  }

  private void compare(V2Node n, String prevValue, long prevIndex) {
    boolean indexMatch = prevIndex == 0 || n.modifiedIndex == prevIndex;
    boolean valueMatch = prevValue == null || prevValue.isEmpty() || n.value.equals(prevValue);
    if (indexMatch && valueMatch) {
      return;
    }
    String cause;
    if (!valueMatch && indexMatch) {
      cause = "[" + prevValue + " != " + n.value + "]";
    } else if (valueMatch) {
      cause = "[" + Long.toUnsignedString(prevIndex) + " != " + n.modifiedIndex + "]";
    } else {
      cause = "[" + prevValue + " != " + n.value + "] [" + Long.toUnsignedString(prevIndex)
          + " != " + n.modifiedIndex + "]";
    }
    throw V2Error.TEST_FAILED.toException(cause, currentIndex);
  }

  /** For tests: the node count, to check that removals leave nothing behind. */
  int ttlKeyCount() {
    return ttlKeys.size();
  }
}
