package keel.server.api.http.gateway;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import io.grpc.Status;

/**
 * The HTTP side of the gateway's answers, with the headers etcd 3.4.23 sends (CORS headers and
 * OPTIONS are {@code CorsHeaders}'s, for every plain HTTP answer): {@code Content-Type: application/json} (no charset), the
 * gRPC response metadata grpc-gateway forwards ({@code Grpc-Metadata-Content-Type} on a message,
 * a {@code Grpc-Trailer-Content-Type} trailer on a gRPC error), and Go's plain-text 404 and 405.
 */
final class GatewayResponses {
  static final MediaType JSON = MediaType.create("application", "json");
  private static final MediaType GO_TEXT = MediaType.PLAIN_TEXT_UTF_8;
  private static final String GRPC = "application/grpc";

  private GatewayResponses() {}

  /** A unary call's answer. */
  static HttpResponse message(String json) {
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK).contentType(JSON)
        .set("grpc-metadata-content-type", GRPC).build(), HttpData.ofUtf8(json));
  }

  /** Headers that open a stream of results (or of one error, with that error's status). */
  static ResponseHeaders streamHeaders(int status) {
    return ResponseHeaders.builder(status).contentType(JSON).set("grpc-metadata-content-type", GRPC).build();
  }

  /** A gRPC error from a unary call. */
  static HttpResponse callError(Status status) {
    ResponseHeaders headers = ResponseHeaders.builder(GatewayBodies.httpStatus(status.getCode()))
        .contentType(JSON).set("trailer", "Grpc-Trailer-Content-Type").build();
    return HttpResponse.of(headers, HttpData.ofUtf8(GatewayBodies.error(status.getCode(), status.getDescription())),
        HttpHeaders.of("grpc-trailer-content-type", GRPC));
  }

  /** An error before any call (a request that could not be read). */
  static HttpResponse requestError(Status.Code code, String message) {
    return requestErrorAggregated(code, message).toHttpResponse();
  }

  static AggregatedHttpResponse requestErrorAggregated(Status.Code code, String message) {
    return AggregatedHttpResponse.of(ResponseHeaders.builder(GatewayBodies.httpStatus(code)).contentType(JSON)
        .build(), HttpData.ofUtf8(GatewayBodies.error(code, message)));
  }

  /** Go's http.Error: the status text and a newline, as plain text. */
  static HttpResponse goError(HttpStatus status) {
    return HttpResponse.of(ResponseHeaders.builder(status).contentType(GO_TEXT)
        .set("x-content-type-options", "nosniff").build(), HttpData.ofUtf8(status.reasonPhrase() + "\n"));
  }

  /** Go's ServeMux sends /v3 to /v3/. */
  static HttpResponse redirect(String location) {
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.MOVED_PERMANENTLY)
        .set("location", location).contentLength(0).build());
  }
}
