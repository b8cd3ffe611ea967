package keel.server.api.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import keel.server.errors.EtcdError;
import keel.server.mvcc.KeyRange;
import keel.server.mvcc.MvccStore;
import keel.server.watch.WatchHub;
import keel.server.watch.WatchSpec;
import keel.server.watch.WatchUpdate;
import keel.server.watch.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Watch stream, etcd's {@code serverWatchStream} ({@code etcdserver/api/v3rpc/watch.go}):
 * requests create, cancel and ask for progress; responses go out in this order of preference:
 * control responses (created, canceled, progress), then watchers' updates round-robin.
 *
 * <p>Flow control: responses are sent only while gRPC says the call {@code isReady()}; the
 * on-ready handler resumes. A client that stops reading leaves its watchers' bounded queues full,
 * so the hub moves them to the unsynced group instead of buffering here.
 *
 * <p>Requests are read one at a time ({@code disableAutoRequest}) and the next only while fewer
 * than {@value #CONTROL_LIMIT} control responses wait to be sent (etcd's {@code ctrlStream}
 * buffer; etcd's recvLoop blocks when it is full), so a client that sends creates but does not
 * read cannot grow the server's memory either.
 *
 * <p>Order: a watcher's created response enters the control queue before the hub starts the
 * watcher, and control goes first, so it precedes the watcher's events. Sends are serialised by
 * {@link #wip} (one drain at a time, on the call's event loop).
 */
final class WatchStream implements StreamObserver<WatchRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(WatchStream.class);
  /**
   * etcd 3.4 fields that jetcd-grpc 0.8.5's rpc.proto lacks, read and written as unknown fields:
   * {@code WatchCreateRequest.watch_id = 7}, {@code WatchCreateRequest.fragment = 8},
   * {@code WatchResponse.fragment = 7}.
   */
  static final int CREATE_WATCH_ID_FIELD = 7;
  static final int CREATE_FRAGMENT_FIELD = 8;
  static final int RESPONSE_FRAGMENT_FIELD = 7;
  /** clientv3.InvalidWatchID: a response tied to no watcher. */
  static final long INVALID_WATCH_ID = -1;
  private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});
  private static final int EVENTS_FIELD = 11;
  /** etcd's ctrlStreamBufLen. */
  static final int CONTROL_LIMIT = 16;

  /** One watch of this stream. */
  private final class Slot {
    final long id;
    final boolean fragment;
    final AtomicBoolean queued = new AtomicBoolean();
    Watcher watcher;

    Slot(long id, boolean fragment) {
      this.id = id;
      this.fragment = fragment;
    }

    /** Hub thread: the watcher has an update. */
    void pending() {
      if (queued.compareAndSet(false, true)) {
        ready.add(this);
      }
      signal();
    }
  }

  private final ServerCallStreamObserver<WatchResponse> call;
  private final Executor executor;
  private final WatchHub hub;
  private final Supplier<MvccStore> store;
  private final Headers headers;
  private final long maxRequestBytes;
  private final ConcurrentLinkedQueue<WatchResponse> control = new ConcurrentLinkedQueue<>();
  private final AtomicInteger controlPending = new AtomicInteger();
  /** Set when reading stopped on a full control queue; the drain resumes it. */
  private final AtomicBoolean readPaused = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Slot> ready = new ConcurrentLinkedQueue<>();
  /** Watches by id; create and cancel come from gRPC's request delivery, one at a time. */
  private final Map<Long, Slot> slots = new ConcurrentHashMap<>();
  private final AtomicInteger wip = new AtomicInteger();
  private long nextId;
  private volatile boolean closed;
  /** Counted in etcd's watch_stream_total until the first close; close may race from two threads. */
  private final AtomicBoolean counted = new AtomicBoolean(true);

  WatchStream(ServerCallStreamObserver<WatchResponse> call, Executor executor, WatchHub hub,
      Supplier<MvccStore> store, Headers headers, long maxRequestBytes) {
    this.call = call;
    this.executor = executor;
    this.hub = hub;
    this.store = store;
    this.headers = headers;
    this.maxRequestBytes = maxRequestBytes;
    hub.counts().streamOpened();
    call.setOnReadyHandler(this::signal);
    call.setOnCancelHandler(this::close);
    call.disableAutoRequest();
    call.request(1);
  }

  /** Reads the next request if the control queue has room, else pauses reading. */
  private void readNext() {
    if (controlPending.get() < CONTROL_LIMIT) {
      call.request(1);
      return;
    }
    readPaused.set(true);
    // the drain may have made room between the check and the flag
    resumeReading();
  }

  private void resumeReading() {
    if (controlPending.get() < CONTROL_LIMIT && readPaused.compareAndSet(true, false)) {
      call.request(1);
    }
  }

  @Override
  public void onNext(WatchRequest request) {
    if (closed) {
      return;
    }
    switch (request.getRequestUnionCase()) {
      case CREATE_REQUEST -> create(request.getCreateRequest());
      case CANCEL_REQUEST -> cancel(request.getCancelRequest());
      case PROGRESS_REQUEST ->
          // etcd 3.4: the current revision, tied to no watcher (clients broadcast it to all)
          sendControl(WatchResponse.newBuilder()
              .setHeader(headers.header(store.get().currentRevision()))
              .setWatchId(INVALID_WATCH_ID).build());
      case REQUESTUNION_NOT_SET -> { } // etcd ignores an empty request
    }
    readNext();
  }

  private void create(WatchCreateRequest request) {
    // etcd's recvLoop: an empty key is "\0", the smallest key; range_end "\0" means every key >= key
    ByteString key = request.getKey().isEmpty() ? ZERO : request.getKey();
    ByteString rangeEnd = request.getRangeEnd();
    if (!rangeEnd.isEmpty() && !rangeEnd.equals(ZERO) && KeyRange.ORDER.compare(key, rangeEnd) >= 0) {
      refuse(EtcdError.WATCHER_EMPTY_RANGE);
      return;
    }
    long wanted = varint(request.getUnknownFields(), CREATE_WATCH_ID_FIELD);
    long id;
    if (wanted == 0) { // clientv3.AutoWatchID: the server picks the lowest free id from nextId on
      while (slots.containsKey(nextId)) {
        nextId++;
      }
      id = nextId++;
    } else if (slots.containsKey(wanted)) {
      refuse(EtcdError.WATCHER_DUPLICATE_ID);
      return;
    } else {
      id = wanted;
    }
    boolean noPut = false;
    boolean noDelete = false;
    for (WatchCreateRequest.FilterType filter : request.getFiltersList()) {
      switch (filter) {
        case NOPUT -> noPut = true;
        case NODELETE -> noDelete = true;
        case UNRECOGNIZED -> { }
      }
    }
    long current = store.get().currentRevision();
    long start = request.getStartRevision() == 0 ? current + 1 : request.getStartRevision();
    WatchSpec spec = new WatchSpec(key, rangeEnd, start, noPut, noDelete, request.getPrevKv());
    Slot slot = new Slot(id, varint(request.getUnknownFields(), CREATE_FRAGMENT_FIELD) != 0);
    slot.watcher = hub.watcher(id, spec, request.getProgressNotify(), slot::pending);
    slots.put(id, slot);
    sendControl(WatchResponse.newBuilder()
        .setHeader(headers.header(current)).setWatchId(id).setCreated(true).build());
    hub.start(slot.watcher);
  }

  private void refuse(EtcdError error) {
    sendControl(WatchResponse.newBuilder()
        .setHeader(headers.header(store.get().currentRevision()))
        .setWatchId(INVALID_WATCH_ID).setCreated(true).setCanceled(true)
        .setCancelReason(error.message()).build());
  }

  private void cancel(WatchCancelRequest request) {
    Slot slot = slots.remove(request.getWatchId());
    if (slot == null) {
      return; // etcd answers nothing for an unknown id
    }
    hub.cancel(slot.watcher);
    sendControl(WatchResponse.newBuilder()
        .setHeader(headers.header(store.get().currentRevision()))
        .setWatchId(slot.id).setCanceled(true).build());
  }

  @Override
  public void onError(Throwable t) {
    close();
  }

  /** etcd keeps serving after the client half-closes; the stream ends when the call does. */
  @Override
  public void onCompleted() { }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (counted.compareAndSet(true, false)) {
      hub.counts().streamClosed();
    }
    for (Slot slot : slots.values()) {
      hub.cancel(slot.watcher);
    }
    slots.clear();
    control.clear();
    controlPending.set(0);
    ready.clear();
  }

  private void sendControl(WatchResponse response) {
    controlPending.incrementAndGet();
    control.add(response);
    signal();
  }

  private void signal() {
    if (wip.getAndIncrement() == 0) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    int missed = 1;
    while (true) {
      try {
        drainWhileReady();
      } catch (RuntimeException e) {
        LOG.debug("watch stream send failed, closing it: {}", e.toString());
        close();
      }
      missed = wip.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }

  private void drainWhileReady() {
    while (!closed && call.isReady()) {
      WatchResponse c = control.poll();
      if (c != null) {
        call.onNext(c);
        controlPending.decrementAndGet();
        resumeReading();
        continue;
      }
      Slot slot = ready.poll();
      if (slot == null) {
        return;
      }
      slot.queued.set(false);
      Watcher watcher = slot.watcher;
      if (watcher.isDone()) {
        continue;
      }
      WatchUpdate update = watcher.poll();
      if (update == null) {
        continue;
      }
      if (watcher.hasPending() && slot.queued.compareAndSet(false, true)) {
        ready.add(slot);
      }
      send(slot, update);
    }
  }

  private void send(Slot slot, WatchUpdate update) {
    WatchResponse.Builder response = WatchResponse.newBuilder()
        .setHeader(headers.header(update.revision()))
        .setWatchId(slot.id)
        .addAllEvents(update.events());
    if (update.isCompaction()) {
      // etcd: compact_revision set and the watcher canceled; the client must not retry from there
      response.setCompactRevision(update.compactRevision()).setCanceled(true);
      slots.remove(slot.id, slot);
      hub.cancel(slot.watcher);
    }
    if (slot.fragment) {
      sendFragments(response.build());
    } else {
      call.onNext(response.build());
    }
  }

  /**
   * etcd's sendFragments: a response at or above the limit with two or more events goes out in
   * pieces, each as large as fits (at least one event), all but the last marked fragment.
   */
  private void sendFragments(WatchResponse whole) {
    if (whole.getSerializedSize() < maxRequestBytes || whole.getEventsCount() < 2) {
      call.onNext(whole);
      return;
    }
    WatchResponse base = whole.toBuilder().clearEvents().build();
    List<Event> events = whole.getEventsList();
    int baseSize = base.getSerializedSize() + 2; // room for fragment = true
    int idx = 0;
    while (idx < events.size()) {
      WatchResponse.Builder piece = base.toBuilder();
      long size = baseSize;
      while (idx < events.size()) {
        long eventSize = CodedOutputStream.computeMessageSize(EVENTS_FIELD, events.get(idx));
        if (piece.getEventsCount() >= 1 && size + eventSize >= maxRequestBytes) {
          break;
        }
        piece.addEvents(events.get(idx));
        size += eventSize;
        idx++;
      }
      if (idx < events.size()) {
        piece.setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(RESPONSE_FRAGMENT_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
            .build());
      }
      call.onNext(piece.build());
    }
  }

  private static long varint(UnknownFieldSet fields, int number) {
    UnknownFieldSet.Field field = fields.getField(number);
    List<Long> values = field == null ? List.of() : field.getVarintList();
    return values.isEmpty() ? 0 : values.get(values.size() - 1);
  }
}
