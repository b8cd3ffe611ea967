package keel.server.metrics;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gRPC server's metrics as etcd exposes them: go-grpc-prometheus's
 * {@code grpc_server_started_total}, {@code grpc_server_handled_total},
 * {@code grpc_server_msg_received_total} and {@code grpc_server_msg_sent_total} (labels
 * {@code grpc_type}, {@code grpc_service}, {@code grpc_method}, and {@code grpc_code} with Go's
 * code names), plus etcd's {@code etcd_network_client_grpc_received_bytes_total} and
 * {@code ..._sent_bytes_total}, which count the encoded size of each request and response message
 * (no gRPC framing), as etcd does.
 *
 * <p>A gRPC interceptor on every service. {@link #initialize} creates every method's series at 0,
 * as go-grpc-prometheus's {@code InitializeMetrics} does for etcd, so a rate over a series that
 * has not moved yet is 0 rather than missing.
 */
public final class GrpcMetrics implements ServerInterceptor {
  private final Counter started;
  private final Counter handled;
  private final Counter received;
  private final Counter sent;
  private final Counter receivedBytes;
  private final Counter sentBytes;
  /** Per full method name: its label values and the data points every call of it updates. */
  private final Map<String, MethodSeries> methods = new ConcurrentHashMap<>();

  GrpcMetrics(PrometheusRegistry registry) {
    String[] labels = {"grpc_type", "grpc_service", "grpc_method"};
    started = Counter.builder().name("grpc_server_started_total")
        .help("gRPC calls that began on this member.").labelNames(labels).register(registry);
    handled = Counter.builder().name("grpc_server_handled_total")
        .help("gRPC calls that ended on this member, by status code, whether they succeeded or not.")
        .labelNames("grpc_type", "grpc_service", "grpc_method", "grpc_code").register(registry);
    received = Counter.builder().name("grpc_server_msg_received_total")
        .help("Messages this member received in gRPC calls.").labelNames(labels).register(registry);
    sent = Counter.builder().name("grpc_server_msg_sent_total")
        .help("Messages this member sent in gRPC calls.").labelNames(labels).register(registry);
    receivedBytes = Counter.builder().name("etcd_network_client_grpc_received_bytes_total")
        .help("Encoded bytes of the request messages gRPC clients sent to this member.").register(registry);
    sentBytes = Counter.builder().name("etcd_network_client_grpc_sent_bytes_total")
        .help("Encoded bytes of the response messages this member sent to gRPC clients.").register(registry);
  }

  /** Creates every method's series (all status codes for the handled counter) at 0. */
  public void initialize(Iterable<ServerServiceDefinition> services) {
    for (ServerServiceDefinition service : services) {
      for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
        MethodSeries series = series(method.getMethodDescriptor());
        for (Status.Code code : Status.Code.values()) {
          handled.initLabelValues(series.type, series.service, series.method, goCode(code));
        }
      }
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    MethodSeries series = series(call.getMethodDescriptor());
    series.started.inc();
    AtomicBoolean ended = new AtomicBoolean();
    ServerCall<Q, R> counted = new SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(R message) {
        series.sent.inc();
        sentBytes.inc(encodedSize(message));
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (ended.compareAndSet(false, true)) {
          handled(series, status.getCode());
        }
        super.close(status, trailers);
      }
    };
    return new SimpleForwardingServerCallListener<>(next.startCall(counted, headers)) {
      @Override
      public void onMessage(Q message) {
        series.received.inc();
        receivedBytes.inc(encodedSize(message));
        super.onMessage(message);
      }

      /** The client went away (or the server failed the call itself) before the service closed it. */
      @Override
      public void onCancel() {
        if (ended.compareAndSet(false, true)) {
          handled(series, Status.Code.CANCELLED);
        }
        super.onCancel();
      }
    };
  }

  private void handled(MethodSeries series, Status.Code code) {
    handled.labelValues(series.type, series.service, series.method, goCode(code)).inc();
  }

  private MethodSeries series(MethodDescriptor<?, ?> descriptor) {
    return methods.computeIfAbsent(descriptor.getFullMethodName(), name -> new MethodSeries(descriptor));
  }

  private static long encodedSize(Object message) {
    return message instanceof MessageLite proto ? proto.getSerializedSize() : 0;
  }

  /** A status code's name as Go's {@code codes.Code.String()} spells it, which etcd's labels use. */
  static String goCode(Status.Code code) {
    return switch (code) {
      case OK -> "OK";
      case CANCELLED -> "Canceled";
      case UNKNOWN -> "Unknown";
      case INVALID_ARGUMENT -> "InvalidArgument";
      case DEADLINE_EXCEEDED -> "DeadlineExceeded";
      case NOT_FOUND -> "NotFound";
      case ALREADY_EXISTS -> "AlreadyExists";
      case PERMISSION_DENIED -> "PermissionDenied";
      case RESOURCE_EXHAUSTED -> "ResourceExhausted";
      case FAILED_PRECONDITION -> "FailedPrecondition";
      case ABORTED -> "Aborted";
      case OUT_OF_RANGE -> "OutOfRange";
      case UNIMPLEMENTED -> "Unimplemented";
      case INTERNAL -> "Internal";
      case UNAVAILABLE -> "Unavailable";
      case DATA_LOSS -> "DataLoss";
      case UNAUTHENTICATED -> "Unauthenticated";
    };
  }

  /** go-grpc-prometheus's {@code grpc_type} values. */
  static String grpcType(MethodDescriptor.MethodType type) {
    return switch (type) {
      case UNARY -> "unary";
      case CLIENT_STREAMING -> "client_stream";
      case SERVER_STREAMING -> "server_stream";
      case BIDI_STREAMING -> "bidi_stream";
      case UNKNOWN -> "unknown";
    };
  }

  /** One method's labels and the series every call of it updates, looked up once per call. */
  private final class MethodSeries {
    final String type;
    final String service;
    final String method;
    final CounterDataPoint started;
    final CounterDataPoint received;
    final CounterDataPoint sent;

    MethodSeries(MethodDescriptor<?, ?> descriptor) {
      type = grpcType(descriptor.getType());
      service = descriptor.getServiceName();
      method = descriptor.getBareMethodName();
      this.started = GrpcMetrics.this.started.labelValues(type, service, method);
      this.received = GrpcMetrics.this.received.labelValues(type, service, method);
      this.sent = GrpcMetrics.this.sent.labelValues(type, service, method);
    }
  }
}
