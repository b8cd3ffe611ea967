package keel.server.api.grpc;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.ServerServiceDefinition;
import io.netty.buffer.ByteBuf;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import keel.server.errors.GrpcTransportError;

/**
 * Refuses a gRPC request message whose frame flag byte is neither 0 nor 1, as etcd's gRPC server
 * does (INTERNAL, "grpc: received unexpected payload format F"). Armeria refuses most such flags
 * itself, but reads the top bit as gRPC-Web's trailers mark and would pass flag 128 on as a
 * message (found by GrpcFuzzIT). It follows the frames of the request's body as they stream in
 * (a 5-byte header: flag, then the length; then that many bytes, not looked at) and fails the
 * stream at the first bad flag, which the gRPC service answers with the status above.
 */
public final class FrameFlags implements DecoratingHttpServiceFunction {
  /** The paths of the methods whose client sends a stream of messages (Watch, LeaseKeepAlive). */
  private final Set<String> clientStreams;

  /** For the methods of {@code services}: their types say which read one message and which a stream. */
  public FrameFlags(Iterable<ServerServiceDefinition> services) {
    this.clientStreams = StreamSupport.stream(services.spliterator(), false)
        .flatMap(service -> service.getMethods().stream())
        .map(method -> method.getMethodDescriptor())
        .filter(method -> !method.getType().clientSendsOneMessage())
        .map(method -> "/" + method.getFullMethodName())
        .collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    return delegate.serve(ctx, req.mapData(new Scanner(readsOneMessage(ctx.path()))));
  }

  /** Whether the method at {@code path} reads one request message (all but the client streams). */
  boolean readsOneMessage(String path) {
    return !clientStreams.contains(path);
  }

  /** Where in the frames one request's body is; called with its chunks in order. */
  static final class Scanner implements Function<HttpData, HttpData> {
    private static final int HEADER_BYTES = 5;
    /** A unary call reads its first message and ignores what follows, as grpc-go does. */
    private final boolean firstMessageOnly;
    private boolean done;
    private int headerRead; // bytes of the current header seen so far
    private long length; // the current header's length, as read so far
    private long bodyLeft; // bytes of the current message still to come

    Scanner(boolean firstMessageOnly) {
      this.firstMessageOnly = firstMessageOnly;
    }

    @Override
    public HttpData apply(HttpData data) {
      if (done) {
        return data;
      }
      ByteBuf bytes = data.byteBuf(); // a view, no copy (this runs on the event loop)
      int at = bytes.readerIndex();
      int end = bytes.writerIndex();
      while (at < end && !done) {
        if (bodyLeft > 0) {
          int skip = (int) Math.min(bodyLeft, end - at);
          at += skip;
          bodyLeft -= skip;
          done = bodyLeft == 0 && firstMessageOnly;
          continue;
        }
        int b = bytes.getUnsignedByte(at++);
        if (headerRead == 0 && b > 1) {
          throw GrpcTransportError.unexpectedPayloadFormat(b).asRuntimeException();
        }
        if (headerRead > 0) {
          length = (length << 8) | b;
        }
        if (++headerRead == HEADER_BYTES) {
          bodyLeft = length;
          headerRead = 0;
          length = 0;
          done = bodyLeft == 0 && firstMessageOnly;
        }
      }
      return data;
    }
  }
}
