package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.kv.CompactResponse;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.TxnOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A jetcd client with a scripted KV.get and a Watch that hands its listeners to the test: the recipe
 * under test asks, the test answers ({@link Get#answer()}) or feeds the watch ({@link Started#listener}).
 */
public final class FakeKvWatchClient extends UnsupportedClient {
  /** One get the code under test made; the test completes {@code answer}. */
  public record Get(ByteSequence key, GetOption option, CompletableFuture<GetResponse> answer) {}

  /** One watch the code under test started; the test feeds {@code listener}. */
  public static final class Started implements Watch.Watcher {
    public final ByteSequence key;
    public final WatchOption option;
    public final Watch.Listener listener;
    public volatile boolean closed;

    Started(ByteSequence key, WatchOption option, Watch.Listener listener) {
      this.key = key;
      this.option = option;
      this.listener = listener;
    }

    @Override
    public void close() {
      closed = true;
    }

    @Override
    public boolean isClosed() {
      return closed;
    }

    @Override
    public void requestProgress() {}
  }

  public final BlockingQueue<Get> gets = new LinkedBlockingQueue<>();
  public final BlockingQueue<Started> watches = new LinkedBlockingQueue<>();

  public Get nextGet() throws InterruptedException {
    Get get = gets.poll(5, TimeUnit.SECONDS);
    if (get == null) {
      throw new AssertionError("no get was made within 5 s");
    }
    return get;
  }

  public Started nextWatch() throws InterruptedException {
    Started watch = watches.poll(5, TimeUnit.SECONDS);
    if (watch == null) {
      throw new AssertionError("no watch was started within 5 s");
    }
    return watch;
  }

  public static GetResponse getResponse(long revision, io.etcd.jetcd.api.KeyValue... kvs) {
    RangeResponse.Builder builder = RangeResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(revision))
        .setCount(kvs.length);
    for (io.etcd.jetcd.api.KeyValue kv : kvs) {
      builder.addKvs(kv);
    }
    return new GetResponse(builder.build(), ByteSequence.EMPTY);
  }

  public static WatchResponse events(Event... events) {
    io.etcd.jetcd.api.WatchResponse.Builder builder = io.etcd.jetcd.api.WatchResponse.newBuilder();
    long revision = 0;
    for (Event e : events) {
      builder.addEvents(e);
      revision = Math.max(revision, e.getKv().getModRevision());
    }
    builder.setHeader(ResponseHeader.newBuilder().setRevision(revision));
    return new WatchResponse(builder.build());
  }

  public static Event put(io.etcd.jetcd.api.KeyValue kv) {
    return Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build();
  }

  public static Event delete(String key, long revision) {
    return Event.newBuilder().setType(Event.EventType.DELETE)
        .setKv(io.etcd.jetcd.api.KeyValue.newBuilder()
            .setKey(com.google.protobuf.ByteString.copyFromUtf8(key)).setModRevision(revision))
        .build();
  }

  private final KV kv = new KV() {
    @Override
    public CompletableFuture<GetResponse> get(ByteSequence key, GetOption option) {
      CompletableFuture<GetResponse> answer = new CompletableFuture<>();
      gets.add(new Get(key, option, answer));
      return answer;
    }

    @Override
    public CompletableFuture<GetResponse> get(ByteSequence key) {
      return get(key, GetOption.DEFAULT);
    }

    @Override
    public CompletableFuture<PutResponse> put(ByteSequence key, ByteSequence value) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<PutResponse> put(ByteSequence key, ByteSequence value, PutOption option) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<DeleteResponse> delete(ByteSequence key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<DeleteResponse> delete(ByteSequence key, DeleteOption option) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<CompactResponse> compact(long rev) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<CompactResponse> compact(long rev, CompactOption option) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Txn txn() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Txn txn(TxnOption option) {
      throw new UnsupportedOperationException();
    }
  };

  private final Watch watch = new Watch() {
    @Override
    public Watcher watch(ByteSequence key, WatchOption option, Listener listener) {
      Started started = new Started(key, option, listener);
      watches.add(started);
      return started;
    }

    @Override
    public void requestProgress() {}
  };

  @Override
  public KV getKVClient() {
    return kv;
  }

  @Override
  public Watch getWatchClient() {
    return watch;
  }
}
