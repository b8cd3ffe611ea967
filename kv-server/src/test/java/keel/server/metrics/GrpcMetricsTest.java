package keel.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.WatchGrpc;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class GrpcMetricsTest {
  private static final String PUT = "grpc_method=\"Put\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"";
  private static final PutRequest REQUEST = PutRequest.newBuilder()
      .setKey(ByteString.copyFromUtf8("foo")).setValue(ByteString.copyFromUtf8("bar")).build();
  private static final PutResponse RESPONSE = PutResponse.newBuilder()
      .setHeader(ResponseHeader.newBuilder().setClusterId(7).setMemberId(9).setRevision(2).setRaftTerm(3)).build();

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final GrpcMetrics metrics = new GrpcMetrics(registry);

  @Test
  void aSuccessfulUnaryCallIsStartedHandledOkAndItsMessageBytesCounted() {
    FakeCall<PutRequest, PutResponse> call = new FakeCall<>(KVGrpc.getPutMethod());
    ServerCall.Listener<PutRequest> listener = metrics.interceptCall(call, new Metadata(), answering(RESPONSE, Status.OK));
    listener.onMessage(REQUEST);
    listener.onHalfClose();
    listener.onComplete();

    List<String> lines = ExpositionLines.of(registry);
    assertThat(value(lines, "grpc_server_started_total{" + PUT + "}")).isEqualTo(1);
    assertThat(value(lines, "grpc_server_handled_total{grpc_code=\"OK\"," + PUT + "}")).isEqualTo(1);
    assertThat(value(lines, "grpc_server_msg_received_total{" + PUT + "}")).isEqualTo(1);
    assertThat(value(lines, "grpc_server_msg_sent_total{" + PUT + "}")).isEqualTo(1);
    assertThat(value(lines, "etcd_network_client_grpc_received_bytes_total")).isEqualTo(REQUEST.getSerializedSize());
    assertThat(value(lines, "etcd_network_client_grpc_sent_bytes_total")).isEqualTo(RESPONSE.getSerializedSize());
    assertThat(call.closedWith).containsExactly(Status.Code.OK);
  }

  @Test
  void aFailedCallIsHandledUnderGosCodeName() {
    ServerCall.Listener<PutRequest> listener = metrics.interceptCall(new FakeCall<>(KVGrpc.getPutMethod()),
        new Metadata(), answering(null, Status.NOT_FOUND.withDescription("etcdserver: requested lease not found")));
    listener.onMessage(REQUEST);
    listener.onHalfClose();

    List<String> lines = ExpositionLines.of(registry);
    assertThat(value(lines, "grpc_server_handled_total{grpc_code=\"NotFound\"," + PUT + "}")).isEqualTo(1);
    assertThat(value(lines, "grpc_server_msg_sent_total{" + PUT + "}")).isZero();
    assertThat(value(lines, "etcd_network_client_grpc_sent_bytes_total")).isZero();
  }

  @Test
  void aCancelledStreamIsHandledOnceAsCanceled() {
    FakeCall<io.etcd.jetcd.api.WatchRequest, io.etcd.jetcd.api.WatchResponse> call =
        new FakeCall<>(WatchGrpc.getWatchMethod());
    List<ServerCall<?, ?>> calls = new ArrayList<>();
    ServerCall.Listener<io.etcd.jetcd.api.WatchRequest> listener = metrics.interceptCall(call, new Metadata(),
        (c, headers) -> {
          calls.add(c);
          return new ServerCall.Listener<>() { };
        });
    listener.onCancel();
    // A service that closes after the client went away must not count the call twice.
    calls.get(0).close(Status.CANCELLED, new Metadata());

    List<String> lines = ExpositionLines.of(registry);
    String watch = "grpc_method=\"Watch\",grpc_service=\"etcdserverpb.Watch\",grpc_type=\"bidi_stream\"";
    assertThat(value(lines, "grpc_server_started_total{" + watch + "}")).isEqualTo(1);
    assertThat(value(lines, "grpc_server_handled_total{grpc_code=\"Canceled\"," + watch + "}")).isEqualTo(1);
  }

  @Test
  void initializeCreatesEveryMethodAndCodeAtZero() {
    metrics.initialize(List.of(new KVGrpc.KVImplBase() { }.bindService()));

    List<String> lines = ExpositionLines.of(registry);
    assertThat(lines.stream().filter(l -> l.startsWith("grpc_server_handled_total{"))).hasSize(5 * 17);
    assertThat(value(lines, "grpc_server_handled_total{grpc_code=\"Unimplemented\","
        + "grpc_method=\"Compact\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}")).isZero();
    assertThat(value(lines, "grpc_server_started_total{grpc_method=\"Txn\","
        + "grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}")).isZero();
  }

  @Test
  void everyStatusCodeHasGosDistinctName() {
    Set<String> names = new HashSet<>();
    for (Status.Code code : Status.Code.values()) {
      names.add(GrpcMetrics.goCode(code));
    }
    assertThat(names).hasSize(Status.Code.values().length)
        .contains("OK", "Canceled", "DeadlineExceeded", "ResourceExhausted", "Unavailable", "Unauthenticated");
  }

  @Test
  void streamTypesAreGoGrpcPrometheusWords() {
    assertThat(GrpcMetrics.grpcType(MethodDescriptor.MethodType.UNARY)).isEqualTo("unary");
    assertThat(GrpcMetrics.grpcType(MethodDescriptor.MethodType.SERVER_STREAMING)).isEqualTo("server_stream");
    assertThat(GrpcMetrics.grpcType(MethodDescriptor.MethodType.CLIENT_STREAMING)).isEqualTo("client_stream");
    assertThat(GrpcMetrics.grpcType(MethodDescriptor.MethodType.BIDI_STREAMING)).isEqualTo("bidi_stream");
  }

  private static double value(List<String> lines, String series) {
    return ExpositionLines.value(lines, series)
        .orElseThrow(() -> new AssertionError(series + " not in:\n" + String.join("\n", lines)));
  }

  /** A unary service: on half-close, sends {@code response} (unless null) and closes with {@code status}. */
  private static <Q, R> ServerCallHandler<Q, R> answering(R response, Status status) {
    return (call, headers) -> new ServerCall.Listener<>() {
      @Override
      public void onHalfClose() {
        if (response != null) {
          call.sendHeaders(new Metadata());
          call.sendMessage(response);
        }
        call.close(status, new Metadata());
      }
    };
  }

  /** The transport's side of a call, recording how it was closed. */
  private static final class FakeCall<Q, R> extends ServerCall<Q, R> {
    private final MethodDescriptor<Q, R> method;
    final List<Status.Code> closedWith = new ArrayList<>();

    FakeCall(MethodDescriptor<Q, R> method) {
      this.method = method;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(R message) {}

    @Override
    public void close(Status status, Metadata trailers) {
      closedWith.add(status.getCode());
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }
}
