package keel.fuzz;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * gRPC as HTTP/2 bytes: a POST whose body is whatever the test builds (frames with a wrong
 * compressed flag, a length that lies, a cut-off frame), sent as one body that ends the request
 * stream, and the answer as status, message frames and trailers. Armeria's client, h2c only.
 */
final class RawH2 implements AutoCloseable {
  /** What came back: grpc-status and grpc-message from the trailers (or the headers of a trailers-only answer). */
  record Answer(int httpStatus, String grpcStatus, String grpcMessage, byte[] body) {
    @Override
    public String toString() {
      return "HTTP " + httpStatus + ", grpc-status " + grpcStatus + " \"" + grpcMessage + "\", " + body.length
          + " body bytes";
    }
  }

  private final ClientFactory factory;
  private final WebClient client;

  RawH2(URI endpoint) {
    this.factory = ClientFactory.builder().idleTimeout(Duration.ofSeconds(30)).build();
    this.client = WebClient.builder("h2c://" + endpoint.getAuthority())
        .factory(factory)
        .responseTimeout(Duration.ofSeconds(20))
        .maxResponseLength(0)
        .build();
  }

  /** One gRPC frame: the compressed flag, the 4-byte length, then the message. */
  static byte[] frame(byte[] message) {
    return frame(0, message.length, message);
  }

  /** A frame that may lie: any flag byte and any declared length in front of {@code message}. */
  static byte[] frame(int flag, int declaredLength, byte[] message) {
    return ByteBuffer.allocate(5 + message.length).put((byte) flag).putInt(declaredLength).put(message).array();
  }

  Answer post(String path, byte[] body) throws Exception {
    return post(path, body, MediaType.parse("application/grpc"));
  }

  Answer post(String path, byte[] body, MediaType contentType) throws Exception {
    RequestHeaders headers = RequestHeaders.builder(HttpMethod.POST, path)
        .contentType(contentType)
        .add(HttpHeaderNames.TE, "trailers")
        .build();
    AggregatedHttpResponse response = client.execute(headers, body).aggregate().get(30, TimeUnit.SECONDS);
    HttpHeaders where = response.trailers().contains("grpc-status") ? response.trailers() : response.headers();
    return new Answer(response.status().code(), where.get("grpc-status"), where.get("grpc-message"),
        response.content().array());
  }

  @Override
  public void close() {
    factory.close();
  }
}
