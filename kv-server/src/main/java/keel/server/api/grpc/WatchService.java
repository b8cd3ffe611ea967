package keel.server.api.grpc;

import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import keel.server.mvcc.MvccStore;
import keel.server.watch.WatchHub;

/**
 * etcd's Watch service: one bidirectional stream carries many watches ({@link WatchStream}).
 * Served from the local store and watch hub on every member, followers included, after apply.
 */
public final class WatchService extends WatchGrpc.WatchImplBase {
  private final WatchHub hub;
  private final Supplier<MvccStore> store;
  private final Headers headers;
  private final long maxRequestBytes;

  /**
   * @param maxRequestBytes etcd's --max-request-bytes: a watcher that asked for fragment gets
   *     responses above it split into fragments
   */
  public WatchService(WatchHub hub, Supplier<MvccStore> store, Headers headers, long maxRequestBytes) {
    this.hub = hub;
    this.store = store;
    this.headers = headers;
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    ServerCallStreamObserver<WatchResponse> call = (ServerCallStreamObserver<WatchResponse>) responses;
    Executor executor = CallerLoop.current();
    return new WatchStream(call, executor, hub, store, headers, maxRequestBytes);
  }
}
