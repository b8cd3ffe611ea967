package keel.server.watch;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.mvcc.EventPage;
import keel.server.mvcc.KeyRange;
import keel.server.mvcc.MvccStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans the events of applied writes out to watchers, on its own thread ({@code keel-<member>-watch}),
 * with etcd's synced and unsynced groups ({@code mvcc/watchable_store.go}).
 *
 * <p><b>Input.</b> The apply thread {@link #publish}es each write's events with a non-blocking
 * offer into a bounded queue. If that queue is full the write is dropped here, never waited for:
 * the hub notices the gap (a revision it has not seen) and moves every synced watcher to the
 * unsynced group, which reads the missed revisions from MVCC history.
 *
 * <p><b>The hub's revision.</b> {@code hubRev} is the newest revision the hub has fanned out. Every
 * synced watcher has been offered everything up to it; the store has applied at least that much.
 * Unsynced watchers read history only up to {@code hubRev}, and join the synced group when they
 * have read past it; both happen on the hub thread between two fan-outs, so a watcher sees each
 * revision exactly once: from history (at most {@code hubRev}) or from fan-out (above it).
 *
 * <p><b>Memory.</b> A watcher's queue holds at most {@code queueCapacity} updates, each one
 * write's events or one page of history (about {@code pageLimit} events). When the fan-out finds a
 * watcher's queue full, the watcher becomes unsynced at that revision: nothing more is kept for it
 * until its stream takes updates, whatever the speed of its reader. The input queue holds at most
 * {@code incomingCapacity} writes.
 *
 * <p>Worked example: hubRev 10, watcher W synced. Writes 11 and 12 come; W's queue takes 11 but
 * is full at 12, so W becomes unsynced with nextRevision 12. Writes 13..20 are fanned out to the
 * synced group without W. W's stream takes a few updates; the hub reads history [12, 20] for W (a
 * page at a time), W's nextRevision becomes 21 &gt; hubRev, W is synced again and gets 21 by
 * fan-out.
 *
 * <p><b>Counts.</b> {@link #counts()} tells etcd's watch metrics: the groups' sizes after each
 * round, events queued and taken, and the streams that {@code WatchStream} opens and closes.
 */
public final class WatchHub implements EventSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WatchHub.class);

  /**
   * Tuning; {@link #DEFAULTS} mirrors etcd's sizes where etcd has one.
   *
   * @param droppedEvent 0, except in the torture checkers' self-test ({@code
   *     keel.test.break=drop-watch-event}): the ordinal (from 1) of the one event of its stream
   *     that every watcher silently drops
   */
  public record Settings(int queueCapacity, int pageLimit, int incomingCapacity, int watchersPerRound,
      Duration progressInterval, long droppedEvent) {
    /**
     * etcd: a watch stream's channel holds 128 responses ({@code chanBufLen}), 512 unsynced
     * watchers are served per sync ({@code maxWatchersPerSync}), progress every 10 minutes.
     */
    public static final Settings DEFAULTS = new Settings(128, 1000, 16_384, 512, Duration.ofMinutes(10), 0);

    public Settings withProgressInterval(Duration interval) {
      return new Settings(queueCapacity, pageLimit, incomingCapacity, watchersPerRound, interval, droppedEvent);
    }

    public Settings withQueueCapacity(int capacity) {
      return new Settings(capacity, pageLimit, incomingCapacity, watchersPerRound, progressInterval, droppedEvent);
    }

    public Settings withPageLimit(int limit) {
      return new Settings(queueCapacity, limit, incomingCapacity, watchersPerRound, progressInterval, droppedEvent);
    }

    public Settings withIncomingCapacity(int capacity) {
      return new Settings(queueCapacity, pageLimit, capacity, watchersPerRound, progressInterval, droppedEvent);
    }

    /** Exists only for the torture checkers' self-test: every watcher drops its n-th event. */
    public Settings withDroppedEvent(long n) {
      return new Settings(queueCapacity, pageLimit, incomingCapacity, watchersPerRound, progressInterval, n);
    }
  }

  /** One applied write; {@code events == null} marks a snapshot install at {@code revision}. */
  private record Published(long revision, List<Event> events) {}

  private final String member;
  private final Settings settings;
  private final Supplier<MvccStore> store;
  private final BlockingQueue<Published> incoming;
  /** The newest revision published (written by the apply thread after its offer). */
  private volatile long latest;
  private final ConcurrentLinkedQueue<Runnable> actions = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile boolean running = true;

  // hub thread only
  private long hubRev;
  private final Map<ByteString, Set<Watcher>> syncedByKey = new HashMap<>();
  private final Set<Watcher> syncedRanges = new LinkedHashSet<>();
  private final ArrayDeque<Watcher> unsynced = new ArrayDeque<>();
  private final Set<Watcher> progressWatchers = new LinkedHashSet<>();
  private long nextTickNanos;

  // for tests and metrics
  private final WatchCounts counts = new WatchCounts();
  private volatile int syncedCount;
  private volatile int unsyncedCount;
  private volatile long fannedOutRevision;

  /**
   * @param store the current store (the state machine replaces it on a snapshot install)
   */
  public WatchHub(String member, Settings settings, Supplier<MvccStore> store) {
    this.member = member;
    this.settings = settings;
    this.store = store;
    this.incoming = new ArrayBlockingQueue<>(settings.incomingCapacity());
    // a fresh store's revision; a loaded snapshot moves it through restored()
    this.hubRev = 1;
    this.latest = hubRev;
    this.fannedOutRevision = hubRev;
    this.nextTickNanos = System.nanoTime() + settings.progressInterval().toNanos();
    this.thread = new Thread(this::run, "keel-" + member + "-watch");
    thread.setDaemon(true);
    thread.start();
  }

  // ---- apply thread -------------------------------------------------------------------------

  @Override
  public void publish(long revision, List<Event> events) {
    // A full queue drops the write; the hub sees the gap through `latest` and reads history.
    incoming.offer(new Published(revision, events));
    latest = revision;
    LockSupport.unpark(thread);
  }

  @Override
  public void restored(long revision) {
    incoming.offer(new Published(revision, null));
    latest = revision;
    LockSupport.unpark(thread);
  }

  // ---- stream threads ---------------------------------------------------------------------

  /**
   * A watcher, not yet started: the stream can announce it (etcd's created response comes first)
   * before {@link #start} lets updates flow. {@code onPending} runs on the hub thread after each
   * update queued for it: it must only signal, never block.
   */
  public Watcher watcher(long id, WatchSpec spec, boolean progressNotify, Runnable onPending) {
    return new Watcher(this, id, spec, settings.queueCapacity(), progressNotify, onPending, settings.droppedEvent());
  }

  /** Registers {@code watcher}; it gets the events from {@code spec.startRevision()} on. */
  public void start(Watcher watcher) {
    act(() -> register(watcher));
  }

  /** Stops a watcher: nothing more is queued for it from now on. */
  public void cancel(Watcher watcher) {
    watcher.markDone();
    act(() -> remove(watcher));
  }

  /** Synced watchers now (for tests and metrics). */
  public int syncedCount() {
    return syncedCount;
  }

  public int unsyncedCount() {
    return unsyncedCount;
  }

  /** This member's watches in etcd's numbers. */
  public WatchCounts counts() {
    return counts;
  }

  /** The newest revision fanned out to the synced group. */
  public long revision() {
    return fannedOutRevision;
  }

  void wakeUp() {
    LockSupport.unpark(thread);
  }

  private void act(Runnable action) {
    actions.add(action);
    LockSupport.unpark(thread);
  }

  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- hub thread -----------------------------------------------------------------------------

  private void run() {
    while (running) {
      try {
        boolean worked = runActions();
        worked |= drainPublished();
        worked |= catchUp();
        long now = System.nanoTime();
        if (now - nextTickNanos >= 0) {
          progressTick();
          nextTickNanos = now + settings.progressInterval().toNanos();
        }
        syncedCount = countSynced();
        unsyncedCount = unsynced.size();
        counts.groups(syncedCount, unsyncedCount);
        fannedOutRevision = hubRev;
        if (!worked) {
          LockSupport.parkNanos(Math.max(1, Math.min(nextTickNanos - now, 50_000_000L)));
        }
      } catch (RuntimeException e) {
        LOG.error("{}: the watch hub failed unexpectedly; going on", member, e);
      }
    }
  }

  private int countSynced() {
    int n = syncedRanges.size();
    for (Set<Watcher> set : syncedByKey.values()) {
      n += set.size();
    }
    return n;
  }

  private boolean runActions() {
    boolean worked = false;
    Runnable action;
    while ((action = actions.poll()) != null) {
      action.run();
      worked = true;
    }
    return worked;
  }

  private void register(Watcher w) {
    if (w.isDone()) {
      return;
    }
    w.registered = true;
    if (w.progressNotify()) {
      progressWatchers.add(w);
    }
    long compactRev = store.get().compactRevision();
    if (compactRev > 0 && w.nextRevision < compactRev) {
      // the hub may lag the store: judge a start revision against the store's compaction
      unsynced.add(w);
    } else if (w.nextRevision > hubRev) {
      // etcd: a watcher starting now or in the future is synced, with minRev as a floor
      addSynced(w);
    } else {
      unsynced.add(w);
    }
  }

  private void remove(Watcher w) {
    if (!w.registered) {
      return;
    }
    w.registered = false;
    progressWatchers.remove(w);
    removeSynced(w);
    unsynced.remove(w);
  }

  private void addSynced(Watcher w) {
    w.synced = true;
    KeyRange range = w.spec().range();
    if (range.kind() == KeyRange.Kind.SINGLE) {
      syncedByKey.computeIfAbsent(range.key(), k -> new LinkedHashSet<>()).add(w);
    } else {
      syncedRanges.add(w);
    }
  }

  private void removeSynced(Watcher w) {
    if (!w.synced) {
      return;
    }
    w.synced = false;
    KeyRange range = w.spec().range();
    if (range.kind() == KeyRange.Kind.SINGLE) {
      Set<Watcher> set = syncedByKey.get(range.key());
      if (set != null) {
        set.remove(w);
        if (set.isEmpty()) {
          syncedByKey.remove(range.key());
        }
      }
    } else {
      syncedRanges.remove(w);
    }
  }

  /** Moves {@code w} to the unsynced group; it has everything below {@code from}. */
  private void desync(Watcher w, long from) {
    removeSynced(w);
    w.nextRevision = Math.max(w.nextRevision, from);
    unsynced.add(w);
  }

  private void desyncAll(long from) {
    List<Watcher> all = new ArrayList<>(syncedRanges);
    syncedByKey.values().forEach(all::addAll);
    for (Watcher w : all) {
      desync(w, from);
    }
  }

  private boolean drainPublished() {
    for (int n = 0; n < 4096; n++) {
      long seen = latest; // read before the poll: every write up to `seen` was offered already
      Published p = incoming.poll();
      if (p == null) {
        if (seen > hubRev) {
          // a write was dropped on a full queue: the synced group reads it from history
          desyncAll(hubRev + 1);
          hubRev = seen;
          return true;
        }
        return n > 0;
      }
      if (p.events() == null) {
        // snapshot installed: history may have jumped; everyone catches up from the new store
        desyncAll(hubRev + 1);
        hubRev = p.revision();
        continue;
      }
      if (p.revision() <= hubRev) {
        continue;
      }
      if (p.revision() > hubRev + 1) {
        desyncAll(hubRev + 1);
      }
      fanOut(p.revision(), p.events());
      hubRev = p.revision();
    }
    return true;
  }

  private void fanOut(long revision, List<Event> events) {
    Event[] stripped = new Event[events.size()];
    List<Watcher> slow = new ArrayList<>();
    for (Watcher w : syncedRanges) {
      offer(w, revision, events, stripped, slow);
    }
    if (!syncedByKey.isEmpty()) {
      Set<Watcher> byKey = events.size() == 1 ? null : new LinkedHashSet<>();
      for (Event e : events) {
        Set<Watcher> watchers = syncedByKey.get(e.getKv().getKey());
        if (watchers == null) {
          continue;
        }
        if (byKey == null) {
          watchers.forEach(w -> offer(w, revision, events, stripped, slow));
        } else {
          byKey.addAll(watchers); // a txn may touch a key twice: one update per watcher
        }
      }
      if (byKey != null) {
        byKey.forEach(w -> offer(w, revision, events, stripped, slow));
      }
    }
    for (Watcher w : slow) {
      // etcd's victim: the reader is slow; it catches up from history at this revision
      desync(w, revision);
    }
  }

  private static void offer(Watcher w, long revision, List<Event> events, Event[] stripped, List<Watcher> slow) {
    List<Event> selected = w.select(events, w.nextRevision, stripped);
    if (!selected.isEmpty() && !w.offer(new WatchUpdate(revision, selected, 0))) {
      slow.add(w);
    }
  }

  /** Serves up to {@code watchersPerRound} unsynced watchers with room in their queues. */
  private boolean catchUp() {
    boolean worked = false;
    int rounds = Math.min(unsynced.size(), settings.watchersPerRound());
    for (int i = 0; i < rounds; i++) {
      Watcher w = unsynced.poll();
      if (w == null) {
        break;
      }
      if (w.isDone()) {
        continue;
      }
      if (w.freeSlots() == 0) {
        unsynced.add(w);
        continue;
      }
      worked = true;
      // read even when nextRevision > hubRev: the store says whether the start was compacted
      MvccStore current = store.get();
      EventPage page;
      try {
        page = current.events(w.spec().key(), w.spec().rangeEnd(), w.nextRevision, hubRev,
            settings.pageLimit());
      } catch (EtcdException e) {
        if (e.error() != EtcdError.COMPACTED) {
          throw e;
        }
        // etcd's chooseAll: a watcher below the compact revision is told so and ends
        w.offer(new WatchUpdate(0, List.of(), current.compactRevision()));
        remove(w);
        continue;
      }
      List<Event> selected = w.select(page.events(), w.nextRevision, new Event[page.events().size()]);
      if (!selected.isEmpty()) {
        w.offer(new WatchUpdate(hubRev, selected, 0));
      }
      w.nextRevision = page.nextRevision();
      if (w.nextRevision > hubRev) {
        addSynced(w);
      } else {
        unsynced.add(w);
      }
    }
    return worked;
  }

  /**
   * etcd's progress ticker: a synced watcher that asked for progress_notify and had no events
   * since the last tick gets an empty response at the hub's revision; a busy one is skipped.
   */
  private void progressTick() {
    for (Watcher w : progressWatchers) {
      if (w.synced && !w.sentSinceTick) {
        w.offer(new WatchUpdate(hubRev, List.of(), 0));
      }
      w.sentSinceTick = false;
    }
  }
}
