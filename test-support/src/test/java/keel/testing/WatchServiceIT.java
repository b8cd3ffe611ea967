package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's Watch stream over raw gRPC (jetcd-grpc stubs) against an in-process Keel: created first,
 * client-chosen and duplicate watch ids, cancel, progress requests and progress_notify (interval
 * shortened to 300 ms), filters, prev_kv and fragments (--max-request-bytes 64 KiB).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WatchServiceIT {
  private static final int MAX_REQUEST = 64 * 1024;
  private static final long WAIT_SECONDS = 20;

  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3,
      b -> b.maxRequestBytes(MAX_REQUEST).watchProgressNotifyInterval(Duration.ofMillis(300)));

  private ManagedChannel channel;
  private final BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
  private StreamObserver<WatchRequest> stream;

  @BeforeEach
  void open() {
    // a follower's endpoint when there is one: watches are served locally on every member
    URI endpoint = cluster.endpoints().get((cluster.awaitLeader() + 1) % cluster.endpoints().size());
    channel = ManagedChannelBuilder.forAddress(endpoint.getHost(), endpoint.getPort()).usePlaintext().build();
    stream = WatchGrpc.newStub(channel).watch(new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse value) {
        responses.add(value);
      }

      @Override
      public void onError(Throwable t) { }

      @Override
      public void onCompleted() { }
    });
  }

  @AfterEach
  void close() throws InterruptedException {
    stream.onError(new RuntimeException("test done"));
    channel.shutdownNow();
    channel.awaitTermination(10, TimeUnit.SECONDS);
  }

  private WatchResponse next() throws InterruptedException {
    WatchResponse r = responses.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(r).as("a watch response within %d s", WAIT_SECONDS).isNotNull();
    return r;
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static UnknownFieldSet varint(int field, long value) {
    return UnknownFieldSet.newBuilder()
        .addField(field, UnknownFieldSet.Field.newBuilder().addVarint(value).build()).build();
  }

  private void create(WatchCreateRequest.Builder create) {
    stream.onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
  }

  @Test
  void createdFirstThenEventsWithChosenAndServerPickedIds() throws Exception {
    String key = cluster.uniqueKey().toString();
    long rev = cluster.kv().put(bytes(key), bytes("v1")).get().getHeader().getRevision();
    create(WatchCreateRequest.newBuilder().setKey(bs(key)).setStartRevision(rev).setUnknownFields(varint(7, 42)));
    WatchResponse created = next();
    assertThat(created.getCreated()).isTrue();
    assertThat(created.getWatchId()).isEqualTo(42);
    assertThat(created.getHeader().getRevision()).isPositive(); // a follower may not have applied rev yet
    WatchResponse events = next();
    assertThat(events.getWatchId()).isEqualTo(42);
    assertThat(events.getEventsList()).extracting(e -> e.getKv().getModRevision()).containsExactly(rev);

    create(WatchCreateRequest.newBuilder().setKey(bs(key)));
    WatchResponse auto = next();
    assertThat(auto.getCreated()).isTrue();
    assertThat(auto.getWatchId()).isEqualTo(0);

    // etcd: a duplicate id is refused as a created+canceled response with watch_id -1
    create(WatchCreateRequest.newBuilder().setKey(bs(key)).setUnknownFields(varint(7, 42)));
    WatchResponse duplicate = next();
    assertThat(duplicate.getCreated()).isTrue();
    assertThat(duplicate.getCanceled()).isTrue();
    assertThat(duplicate.getWatchId()).isEqualTo(-1);
    assertThat(duplicate.getCancelReason()).isEqualTo("mvcc: duplicate watch ID provided on the WatchStream");

    create(WatchCreateRequest.newBuilder().setKey(bs(key + "b")).setRangeEnd(bs(key + "a")));
    WatchResponse empty = next();
    assertThat(empty.getCanceled()).isTrue();
    assertThat(empty.getCancelReason()).isEqualTo("mvcc: watcher range is empty");

    long rev2 = cluster.kv().put(bytes(key), bytes("v2")).get().getHeader().getRevision();
    List<Long> ids = new ArrayList<>();
    ids.add(next().getWatchId());
    ids.add(next().getWatchId());
    assertThat(ids).containsExactlyInAnyOrder(0L, 42L);

    stream.onNext(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(42)).build());
    WatchResponse canceled = next();
    assertThat(canceled.getCanceled()).isTrue();
    assertThat(canceled.getWatchId()).isEqualTo(42);
    // etcd says nothing for an unknown id; a progress request shows the stream went on
    stream.onNext(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(42)).build());
    stream.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
    WatchResponse progress = next();
    assertThat(progress.getWatchId()).isEqualTo(-1);
    assertThat(progress.getEventsCount()).isZero();
    assertThat(progress.getHeader().getRevision()).isGreaterThanOrEqualTo(rev2);

    cluster.kv().put(bytes(key), bytes("v3")).get();
    WatchResponse only = next();
    assertThat(only.getWatchId()).isEqualTo(0);
    assertThat(responses.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void filtersPrevKvAndProgressNotify() throws Exception {
    String key = cluster.uniqueKey().toString();
    create(WatchCreateRequest.newBuilder().setKey(bs(key)).setPrevKv(true).setProgressNotify(true)
        .addFilters(WatchCreateRequest.FilterType.NOPUT));
    assertThat(next().getCreated()).isTrue();
    // idle and synced: progress notifications with the revision
    WatchResponse progress = next();
    assertThat(progress.getEventsCount()).isZero();
    assertThat(progress.getCreated()).isFalse();
    assertThat(progress.getWatchId()).isZero();
    cluster.kv().put(bytes(key), bytes("a")).get();
    long deleted = cluster.kv().delete(bytes(key)).get().getHeader().getRevision();
    WatchResponse event;
    do {
      event = next();
    } while (event.getEventsCount() == 0);
    Event delete = event.getEvents(0);
    assertThat(delete.getType()).isEqualTo(Event.EventType.DELETE);
    assertThat(delete.getKv().getModRevision()).isEqualTo(deleted);
    assertThat(delete.getPrevKv().getValue().toStringUtf8()).isEqualTo("a");
  }

  @Test
  void largeCatchUpIsFragmentedWhenAsked() throws Exception {
    String prefix = cluster.uniquePrefix();
    String value = "x".repeat(4000);
    long first = 0;
    for (int i = 0; i < 60; i++) {
      long rev = cluster.kv().put(bytes(prefix + i), bytes(value)).get().getHeader().getRevision();
      first = first == 0 ? rev : first;
    }
    ByteString end = bs(prefix.substring(0, prefix.length() - 1) + "0");
    create(WatchCreateRequest.newBuilder().setKey(bs(prefix)).setRangeEnd(end).setStartRevision(first)
        .setUnknownFields(varint(8, 1)));
    assertThat(next().getCreated()).isTrue();
    // The watching member may not have applied the last puts yet when the watch starts: those
    // then arrive later as live events. What must hold: every event once, and the catch-up split
    // into fragments, each under the request size limit.
    int events = 0;
    int fragmented = 0;
    while (events < 60) {
      WatchResponse piece = next();
      assertThat(piece.getSerializedSize()).isLessThan(MAX_REQUEST);
      events += piece.getEventsCount();
      UnknownFieldSet.Field fragment = piece.getUnknownFields().getField(7);
      if (fragment != null && !fragment.getVarintList().isEmpty() && fragment.getVarintList().get(0) == 1) {
        fragmented++;
      }
    }
    assertThat(fragmented).as("responses marked fragment").isGreaterThan(0);
    assertThat(events).isEqualTo(60);
  }
}
