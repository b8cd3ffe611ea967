package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import keel.server.watch.WatchHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many watchers on an in-process 3-member Keel: 1,000 watchers (10 streams of 100, spread over
 * every member, followers included) each get all 4,000 events of a prefix in revision order,
 * without gap or duplicate, while one more stream never reads (its client requests no message):
 * writes and the other watchers go on, its watchers fall behind into the unsynced group, and the
 * heap stays bounded although that stream's watchers see 20 MB of large values each.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class WatchScaleIT {
  private static final int STREAMS = 10;
  private static final int WATCHERS_PER_STREAM = 100;
  private static final int EVENTS = 4_000;
  private static final int STUCK_WATCHERS = 20;
  private static final int BIG_PUTS = 100;
  private static final int BIG_VALUE = 200 * 1024;

  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3);

  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void closeChannels() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private ManagedChannel channel(URI endpoint) {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(endpoint.getHost(), endpoint.getPort())
        .usePlaintext().maxInboundMessageSize(64 << 20).build();
    channels.add(channel);
    return channel;
  }

  /**
   * Checks every watch of one stream as events come: revisions strictly increase (no duplicate, in
   * order), no prev_kv, created first; and keeps per watch a count, a sum and a hash of the
   * revisions seen, compared at the end with the revisions the writer got for its puts (the large
   * puts elsewhere take revisions too, so the prefix's revisions are not consecutive).
   */
  private static final class Checker implements StreamObserver<WatchResponse> {
    final Map<Long, long[]> seen = new ConcurrentHashMap<>(); // last, count, sum, hash
    final AtomicLong events;
    final ConcurrentLinkedQueue<String> problems;

    Checker(AtomicLong events, ConcurrentLinkedQueue<String> problems) {
      this.events = events;
      this.problems = problems;
    }

    @Override
    public void onNext(WatchResponse r) {
      if (r.getCreated()) {
        if (r.getCanceled() || seen.putIfAbsent(r.getWatchId(), new long[4]) != null) {
          problems.add("bad created response " + r);
        }
        return;
      }
      long[] state = seen.get(r.getWatchId());
      if (state == null) {
        problems.add("events before created for watch " + r.getWatchId());
        return;
      }
      for (var e : r.getEventsList()) {
        long rev = e.getKv().getModRevision();
        if (rev <= state[0]) {
          problems.add("watch " + r.getWatchId() + ": revision " + rev + " after " + state[0]);
        }
        if (e.hasPrevKv()) {
          problems.add("prev_kv although not asked for");
        }
        state[0] = rev;
        state[1]++;
        state[2] += rev;
        state[3] ^= mix(rev);
      }
      events.addAndGet(r.getEventsCount());
    }

    @Override
    public void onError(Throwable t) {
      problems.add("stream failed: " + t);
    }

    @Override
    public void onCompleted() { }
  }

  static long mix(long x) {
    x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
    x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return x ^ (x >>> 33);
  }

  @Test
  void thousandWatchersGetEveryEventWhileOneStreamNeverReads() throws Exception {
    String prefix = cluster.uniquePrefix();
    ByteString key = ByteString.copyFromUtf8(prefix);
    ByteString end = ByteString.copyFromUtf8(prefix.substring(0, prefix.length() - 1) + "0"); // '/' + 1
    long start = cluster.kv().put(bytes(prefix + "start"), bytes("s")).get().getHeader().getRevision() + 1;
    List<URI> endpoints = cluster.endpoints();
    AtomicLong delivered = new AtomicLong();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    List<StreamObserver<WatchRequest>> requests = new ArrayList<>();
    List<Checker> checkers = new ArrayList<>();
    Set<Long> written = ConcurrentHashMap.newKeySet();

    // the stream that never reads: every key, with prev_kv, from the start
    ClientCallStreamObserver<WatchRequest>[] stuck = new ClientCallStreamObserver[1];
    StreamObserver<WatchRequest> stuckRequests = WatchGrpc.newStub(channel(endpoints.get(0))).watch(
        new ClientResponseObserver<WatchRequest, WatchResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
            requestStream.disableAutoRequestWithInitial(0);
            stuck[0] = requestStream;
          }

          @Override
          public void onNext(WatchResponse value) {
            problems.add("the stuck stream got a message although it requested none");
          }

          @Override
          public void onError(Throwable t) { }

          @Override
          public void onCompleted() { }
        });
    for (int i = 0; i < STUCK_WATCHERS; i++) {
      stuckRequests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
          .setKey(ByteString.copyFrom(new byte[] {0})).setRangeEnd(ByteString.copyFrom(new byte[] {0}))
          .setStartRevision(start).setPrevKv(true)).build());
    }

    for (int s = 0; s < STREAMS; s++) {
      Checker checker = new Checker(delivered, problems);
      checkers.add(checker);
      StreamObserver<WatchRequest> stream =
          WatchGrpc.newStub(channel(endpoints.get(s % endpoints.size()))).watch(checker);
      requests.add(stream);
      for (int w = 0; w < WATCHERS_PER_STREAM; w++) {
        stream.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
            .setKey(key).setRangeEnd(end).setStartRevision(start)).build());
      }
    }

    Runtime rt = Runtime.getRuntime();
    System.gc();
    long heapBefore = rt.totalMemory() - rt.freeMemory();

    // 10,000 puts under the prefix, 64 in flight; 100 large puts elsewhere that only the stuck
    // stream's watchers (every key, with prev_kv) see
    Semaphore inFlight = new Semaphore(64);
    ConcurrentLinkedQueue<Throwable> writeErrors = new ConcurrentLinkedQueue<>();
    String big = "x".repeat(BIG_VALUE);
    long writeStart = System.nanoTime();
    for (int i = 0; i < EVENTS; i++) {
      inFlight.acquire();
      cluster.kv().put(bytes(prefix + "k" + (i % 100)), bytes("v" + i)).whenComplete((r, e) -> {
        if (e != null) {
          writeErrors.add(e);
        } else {
          written.add(r.getHeader().getRevision());
        }
        inFlight.release();
      });
      if (i % (EVENTS / BIG_PUTS) == 0) {
        inFlight.acquire();
        cluster.kv().put(bytes("big-" + prefix + (i % 7)), bytes(big)).whenComplete((r, e) -> inFlight.release());
      }
    }
    inFlight.acquire(64);
    double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
    inFlight.release(64);
    assertThat(writeErrors).isEmpty();

    long total = (long) STREAMS * WATCHERS_PER_STREAM * EVENTS;
    Deadlines.await("all " + total + " events delivered", Duration.ofSeconds(120))
        .until(() -> delivered.get() >= total || !problems.isEmpty());
    double deliverSeconds = (System.nanoTime() - writeStart) / 1e9;
    assertThat(problems).isEmpty();
    assertThat(delivered.get()).isEqualTo(total);
    assertThat(written).hasSize(EVENTS);
    long sum = 0;
    long hash = 0;
    for (long rev : written) {
      sum += rev;
      hash ^= mix(rev);
    }
    for (Checker checker : checkers) {
      assertThat(checker.seen).hasSize(WATCHERS_PER_STREAM);
      for (var e : checker.seen.entrySet()) {
        long[] state = e.getValue();
        assertThat(new long[] {state[1], state[2], state[3]}).as("watch %d: count, sum, hash", e.getKey())
            .containsExactly(EVENTS, sum, hash);
      }
    }

    WatchHub hub = cluster.cluster().member(0).orElseThrow().watchHub();
    // the stuck stream's watchers cannot take anything: they wait in the unsynced group
    Deadlines.await("stuck watchers unsynced", Duration.ofSeconds(30))
        .until(hub::unsyncedCount, n -> n >= STUCK_WATCHERS);
    System.gc();
    long heapAfter = rt.totalMemory() - rt.freeMemory();
    System.out.printf("WatchScaleIT: %d puts (+%d of %d KiB) in %.1f s = %.0f puts/s; %d watchers got %d events"
            + " in %.1f s (%.0f events/s); heap used %d MiB before, %d MiB after (stuck stream open, %d unsynced"
            + " watchers on member 0)%n",
        EVENTS, BIG_PUTS, BIG_VALUE / 1024, writeSeconds, EVENTS / writeSeconds, STREAMS * WATCHERS_PER_STREAM,
        total, deliverSeconds, total / deliverSeconds, heapBefore >> 20, heapAfter >> 20, hub.unsyncedCount());
    // the store holds the 10,000 small and 100 large values on three members (~60 MiB); a stream
    // buffering for the stuck watchers would hold 20 x 100 x 400 KiB (value + prev_kv) = 800 MiB
    assertThat(heapAfter - heapBefore).isLessThan(300L << 20);

    stuck[0].cancel("test done", null);
    for (StreamObserver<WatchRequest> stream : requests) {
      stream.onCompleted();
    }
  }
}
