package keel.server.api.grpc;

import com.linecorp.armeria.common.grpc.GrpcExceptionHandlerFunction;
import com.linecorp.armeria.common.grpc.GrpcSerializationFormats;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceBindingBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.grpc.GrpcServiceBuilder;
import io.grpc.ServerServiceDefinition;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import keel.server.api.http.GoHeaderLimits;
import keel.server.metrics.GrpcMetrics;

/**
 * How etcd's gRPC services are served on a client port, in one place for the member
 * ({@code KeelServer}) and for anything that serves them without one (the gRPC door benchmark):
 * every request read by Go's protobuf rules before Java parses it ({@link GoWireMarshaller}), etcd's
 * message limits and oversize answers ({@link OversizeMessages}), frame flags checked as grpc-go
 * does ({@link FrameFlags}), the metrics interceptor, and no request or idle timeout (a Watch or
 * LeaseKeepAlive stream lives as long as its client keeps it).
 */
public final class GrpcDoor {
  /** etcd accepts this much gRPC framing above --max-request-bytes before gRPC itself refuses. */
  private static final int GRPC_OVERHEAD_BYTES = 512 * 1024;

  private GrpcDoor() {}

  /**
   * Ratis's shaded Netty (relocated, 4.1.x) ships Netty's version file unrelocated, so Armeria sees
   * two Netty versions where only one (4.2.x) is really in use and warns at every start. Call it
   * before Armeria's first use (a static initialiser of the class that serves).
   */
  public static void quietNettyVersionWarning() {
    if (System.getProperty("com.linecorp.armeria.warnNettyVersions") == null) {
      System.setProperty("com.linecorp.armeria.warnNettyVersions", "false");
    }
  }

  /**
   * Starts, on a thread of its own, the one-off work of Armeria's first gRPC service builder (its
   * JSON transcoding defaults generate marshaller classes at class initialisation, the largest part
   * of a member's start), so that it runs while Raft starts rather than after. Returns at once; a
   * builder made meanwhile waits for the initialisation as for any class.
   */
  public static void prepareInBackground() {
    Thread prepare = new Thread(GrpcService::builder, "keel-grpc-prepare");
    prepare.setDaemon(true);
    prepare.start();
  }

  /** The largest gRPC message accepted, for {@code --max-request-bytes}. */
  public static int maxMessageBytes(long maxRequestBytes) {
    return (int) Math.min(Integer.MAX_VALUE, maxRequestBytes + GRPC_OVERHEAD_BYTES);
  }

  /**
   * The services as one Armeria gRPC service, with their metrics initialised.
   *
   * @param isLearner whether this member is a learner now: then it serves what etcd's learners serve
   */
  public static GrpcService service(List<ServerServiceDefinition> services, long maxRequestBytes,
      GrpcMetrics metrics, BooleanSupplier isLearner) {
    GrpcServiceBuilder builder = GrpcService.builder();
    services.forEach(service -> builder.addService(GoWireMarshaller.wrap(service)));
    GrpcService grpc = builder
        // Protobuf only, as etcd's grpc-go server: Armeria's gRPC-JSON formats would build a JSON
        // marshaller for every message type at startup (half of a member's start-up CPU), and
        // the /v3 gateway has its own etcd-compatible JSON (keel.server.api.http.gateway).
        .supportedSerializationFormats(GrpcSerializationFormats.PROTO)
        .maxRequestMessageLength(maxMessageBytes(maxRequestBytes))
        .maxResponseMessageLength(Integer.MAX_VALUE)
        .exceptionHandler(new OversizeMessages().orElse(GrpcExceptionHandlerFunction.of()))
        .intercept(new LearnerGuard(isLearner), metrics)
        .build();
    metrics.initialize(grpc.services());
    return grpc;
  }

  /** Routes {@code grpc} on {@code builder} and sets the port's limits and timeouts; returns it. */
  public static ServerBuilder serve(ServerBuilder builder, GrpcService grpc, long maxRequestBytes) {
    // gRPC: the limit is per message (above, answered as grpc-go does), not per HTTP/2 stream: a
    // Watch or LeaseKeepAlive stream carries requests for as long as the client keeps it, and
    // Armeria's request length counts every byte of a stream (it would end a long stream with 413).
    ServiceBindingBuilder grpcRoutes = builder.route();
    grpc.routes().forEach(grpcRoutes::addRoute);
    grpcRoutes.maxRequestLength(0).decorator(new FrameFlags(grpc.services())).build(grpc);
    return GoHeaderLimits.apply(builder) // etcd's Go server reads request heads up to 1 MiB; Armeria's default is 8 KiB
        .maxRequestLength(maxMessageBytes(maxRequestBytes) + 1024L)
        .requestTimeout(Duration.ZERO)
        .idleTimeout(Duration.ZERO)
        .gracefulShutdownTimeout(Duration.ZERO, Duration.ofMillis(500));
  }
}
