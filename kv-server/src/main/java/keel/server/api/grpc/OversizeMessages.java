package keel.server.api.grpc;

import com.linecorp.armeria.common.RequestContext;
import com.linecorp.armeria.common.grpc.GrpcExceptionHandlerFunction;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import keel.server.errors.GrpcTransportError;

/**
 * Renders Armeria's refusal of a request message above {@code maxRequestMessageLength} as etcd's
 * gRPC server (grpc-go) does: RESOURCE_EXHAUSTED with grpc-go's text, which etcd's clients show
 * as is. Armeria's deframer refuses with the right code but its own words ("...: Frame size N
 * exceeds maximum: M."); every other failure keeps the status Armeria chose.
 */
public final class OversizeMessages implements GrpcExceptionHandlerFunction {
  private static final Pattern FRAME_TOO_LARGE = Pattern.compile("Frame size (\\d+) exceeds maximum: (\\d+)");
  private static final Pattern DECOMPRESSED_TOO_LARGE =
      Pattern.compile("Compressed frame exceeds maximum frame size: (\\d+)");

  /** Null when {@code status} is not Armeria's message-size refusal: the next handler decides. */
  @Override
  public Status apply(RequestContext ctx, Status status, Throwable cause, Metadata metadata) {
    if (status.getCode() != Status.Code.RESOURCE_EXHAUSTED) {
      return null;
    }
    String text = status.getDescription() != null ? status.getDescription()
        : cause != null && cause.getMessage() != null ? cause.getMessage() : "";
    Matcher frame = FRAME_TOO_LARGE.matcher(text);
    if (frame.find()) {
      return GrpcTransportError.messageTooLarge(Long.parseLong(frame.group(1)), Long.parseLong(frame.group(2)));
    }
    Matcher decompressed = DECOMPRESSED_TOO_LARGE.matcher(text);
    if (decompressed.find()) {
      return GrpcTransportError.decompressedMessageTooLarge(Long.parseLong(decompressed.group(1)));
    }
    return null;
  }
}
