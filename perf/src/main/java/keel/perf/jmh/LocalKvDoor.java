package keel.perf.jmh;

import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import keel.server.ServerConfig;
import keel.server.TestBreaks;
import keel.server.api.grpc.GrpcDoor;
import keel.server.api.grpc.Headers;
import keel.server.api.grpc.KvService;
import keel.server.api.grpc.MaintenanceService;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.command.Proposer;
import keel.server.command.Validation;
import keel.server.metrics.ServerMetrics;
import keel.server.statemachine.Applier;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Keel's KV gRPC service on an Armeria server on 127.0.0.1 (a port the kernel picks), wired as
 * a member's client port is wired ({@link GrpcDoor}: Go's wire rules, frame-flag checks, the oversize
 * handler, the metrics interceptor, Go's header limits), but with Raft replaced by an in-place apply: a proposal is
 * encoded, decoded and applied to an {@link Applier} at once, as a single member's state machine
 * would apply it once committed.
 *
 * <p>Why not a whole {@code KeelServer}: a put there waits for a Raft log fsync, which would be
 * most of what a one-client benchmark measures (and differ from disk to disk); the load generator
 * and {@code perf/compare.sh} measure that path against a real cluster. This measures the door.
 * Left out because a unary KV call on a ready member does not pass through them: the other seven
 * services, the HTTP routes and the not-ready gate ({@code ServeWhenReady}).
 */
final class LocalKvDoor implements AutoCloseable {
  private static final long CLUSTER_ID = 0x1000;
  private static final long MEMBER_ID = 0x2000;

  static {
    GrpcDoor.quietNettyVersionWarning();
  }

  private final Applier applier;
  private final ServerMetrics metrics;
  private final Server server;
  /** Guarded by {@link #applier}'s monitor: the one apply thread this door stands in for. */
  private long index = 1;

  private LocalKvDoor(int keys) {
    this.applier = KeySpace.newApplier();
    this.index = KeySpace.fill(applier, keys, index);
    this.metrics = new ServerMetrics(MEMBER_ID, MaintenanceService.VERSION);
    this.server = serve(kvService()).build();
  }

  /** Fills a store with {@code keys} keys ({@link KeySpace}) and serves it. */
  static LocalKvDoor start(int keys) {
    LocalKvDoor door = new LocalKvDoor(keys);
    door.server.start().join();
    return door;
  }

  /** Where clients reach it, as {@code http://127.0.0.1:port}. */
  URI uri() {
    return URI.create("http://127.0.0.1:" + server.activeLocalPort());
  }

  /** Drops history below the current revision (between iterations of a writing benchmark). */
  void compact() {
    synchronized (applier) {
      index = KeySpace.compact(applier, index);
    }
  }

  @Override
  public void close() {
    server.stop().join();
    metrics.close();
  }

  private KvService kvService() {
    Headers headers = new Headers(CLUSTER_ID, MEMBER_ID, () -> KeySpace.TERM);
    Proposer proposer = new Proposer(this::applyInPlace, ServerConfig.DEFAULT_MAX_REQUEST_BYTES, metrics.proposals());
    // A ReadIndex barrier on a single member that has applied everything: already complete.
    return new KvService(() -> CompletableFuture.completedFuture(null), applier::store, proposer,
        new Validation(ServerConfig.DEFAULT_MAX_TXN_OPS), headers, TestBreaks.NONE);
  }

  /** What KeelStateMachine.applyTransaction does with a committed entry: decode, apply, encode. */
  private CompletableFuture<org.apache.ratis.thirdparty.com.google.protobuf.ByteString> applyInPlace(byte[] entry) {
    CommandResult result;
    try {
      Command command = Command.parseFrom(entry);
      synchronized (applier) {
        result = applier.apply(index++, KeySpace.TERM, command);
      }
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(UnsafeByteOperations.unsafeWrap(result.toByteArray()));
  }

  private ServerBuilder serve(KvService kv) {
    GrpcService grpc = GrpcDoor.service(List.of(kv.bindService()), ServerConfig.DEFAULT_MAX_REQUEST_BYTES,
        metrics.grpc(), () -> false);
    return GrpcDoor.serve(Server.builder(), grpc, ServerConfig.DEFAULT_MAX_REQUEST_BYTES)
        .port(new InetSocketAddress("127.0.0.1", 0), SessionProtocol.HTTP);
  }
}
