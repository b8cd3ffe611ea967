package keel.perf.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@code watch-latency}: how long a put takes to reach its watchers. {@code --watchers} watches
 * (spread over the connections) are opened before the run; then each of {@code --clients} putters
 * puts its own key and waits until the put is answered and every watcher has seen its event before
 * it puts again (etcd's {@code benchmark watch-latency} is this with one putter). Each event's
 * latency, from the put's send to the event's arrival, is one result: the report counts events
 * (puts × watchers) and gives their latencies. {@code --total} and {@code --rate} count puts.
 *
 * <p>Every watcher watches the range of all putters' keys; an event belongs to the round of the
 * putter whose key it carries. A round's events have a higher revision than that putter's previous
 * put, so an event delivered late (after its round timed out) is not taken for the next round's.
 */
final class WatchLatencyWorkload implements Workload {
  static final String OPERATION = "put-to-event";
  private static final long SETUP_SECONDS = 30;

  final Load load;
  final Keys keys;
  final int watchers;
  private final ByteSequence value;
  private final List<Watch.Watcher> opened = new CopyOnWriteArrayList<>();
  /** The round in flight per putter, null before its first put. */
  private final AtomicReferenceArray<Round> rounds;
  /** Per putter, the revision of its last answered put: events at or below it are old. */
  private final AtomicLongArray lastPutRevision;
  /** Per watcher, the revision of the last event it counted (a re-delivered event counts once). */
  private final AtomicLongArray lastSeenRevision;
  private volatile Stats stats;

  /** {@code keys}' space is the putters' keys: one per client. */
  WatchLatencyWorkload(Load load, Keys keys, int watchers) {
    if (keys.spaceSize() != load.clients()) {
      throw new IllegalArgumentException("one key per putter: key space " + keys.spaceSize() + " for "
          + load.clients() + " clients");
    }
    this.load = load;
    this.keys = keys;
    this.watchers = watchers;
    this.value = keys.value();
    this.rounds = new AtomicReferenceArray<>(load.clients());
    this.lastPutRevision = new AtomicLongArray(load.clients());
    this.lastSeenRevision = new AtomicLongArray(watchers);
  }

  @Override
  public String name() {
    return "watch-latency";
  }

  @Override
  public String settings() {
    return watchers + " watchers, " + load.clients() + " putter(s); counts are events (puts × watchers)";
  }

  @Override
  public String unit() {
    return "puts";
  }

  @Override
  public void prepare(Connections conns) throws InterruptedException {
    CountDownLatch created = new CountDownLatch(watchers);
    WatchOption option = WatchOption.builder()
        .withRange(keys.rangeEndAfter(load.clients() - 1))
        .withCreateNotify(true)
        .build();
    for (int w = 0; w < watchers; w++) {
      int watcher = w;
      Client client = conns.forClient(w);
      opened.add(client.getWatchClient().watch(keys.key(0), option, Watch.listener(
          response -> onResponse(watcher, response, created),
          failure -> {
            Stats s = stats;
            if (s != null) {
              s.error(failure);
            }
          })));
    }
    if (!created.await(SETUP_SECONDS, TimeUnit.SECONDS)) {
      throw new BenchException(created.getCount() + " of the " + watchers + " watches were not created within "
          + SETUP_SECONDS + " s; is the cluster healthy? (fewer --watchers, or more --conns, may help)");
    }
  }

  @Override
  public void run(Connections conns, Stats stats) throws InterruptedException {
    this.stats = stats;
    new ClosedLoop(load, (putter, n) -> put(conns.forClient(putter), putter), stats).run();
  }

  /** One round of putter {@code putter}: its put, answered and seen by every watcher. */
  private Request put(Client client, int putter) {
    Round round = new Round(System.nanoTime(), lastPutRevision.get(putter), watchers);
    rounds.set(putter, round);
    CompletableFuture<?> answered = client.getKVClient().put(keys.key(putter), value)
        .thenAccept(r -> lastPutRevision.accumulateAndGet(putter, r.getHeader().getRevision(), Math::max));
    return Request.unmeasured(CompletableFuture.allOf(answered, round.allSeen));
  }

  private void onResponse(int watcher, WatchResponse response, CountDownLatch created) {
    if (response.isCreatedNotify()) {
      created.countDown();
      return;
    }
    long arrived = System.nanoTime();
    for (WatchEvent event : response.getEvents()) {
      long revision = event.getKeyValue().getModRevision();
      if (revision <= lastSeenRevision.get(watcher)) {
        continue;
      }
      lastSeenRevision.set(watcher, revision);
      long putter = Keys.indexOf(event.getKeyValue().getKey());
      Round round = putter < rounds.length() ? rounds.get((int) putter) : null;
      if (round != null && revision > round.floorRevision) {
        round.seen(() -> stats.record(OPERATION, arrived - round.sentNanos));
      }
    }
  }

  @Override
  public void cleanUp(Connections conns) {
    opened.forEach(Watch.Watcher::close);
  }

  /** A put in flight: when it was sent, and how many watchers have still to see it. */
  private static final class Round {
    final long sentNanos;
    final long floorRevision;
    final AtomicInteger unseen;
    final CompletableFuture<Void> allSeen = new CompletableFuture<>();

    Round(long sentNanos, long floorRevision, int watchers) {
      this.sentNanos = sentNanos;
      this.floorRevision = floorRevision;
      this.unseen = new AtomicInteger(watchers);
    }

    /**
     * Counts one watcher's event and records it; the round ends only after the last one is
     * recorded, so the run's final snapshot cannot miss it.
     */
    void seen(Runnable record) {
      int left = unseen.decrementAndGet();
      if (left >= 0) {
        record.run();
      }
      if (left == 0) {
        allSeen.complete(null);
      }
    }
  }
}
