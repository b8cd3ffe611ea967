package keel.server.errors;

import io.grpc.Status;

/**
 * gRPC's own refusals (and grpc-go's texts for them) that etcd's clients see from etcd's gRPC server (grpc-go), with grpc-go's
 * code and text: these come from the transport, before any etcd code runs, so they are not in
 * etcd's error table ({@link EtcdError}).
 */
public final class GrpcTransportError {
  private GrpcTransportError() {}

  /**
   * A request message above the server's receive limit (etcd: {@code --max-request-bytes} plus
   * 512 KiB of framing): grpc-go's {@code recvAndDecompress} answers RESOURCE_EXHAUSTED
   * "grpc: received message larger than max (N vs. M)", N the message's size, M the limit.
   */
  public static Status messageTooLarge(long size, long limit) {
    return Status.RESOURCE_EXHAUSTED.withDescription(
        "grpc: received message larger than max (" + size + " vs. " + limit + ")");
  }

  /** The same for a compressed message that is above the limit once decompressed (grpc-go's text). */
  public static Status decompressedMessageTooLarge(long limit) {
    return Status.RESOURCE_EXHAUSTED.withDescription(
        "grpc: received message after decompression larger than max (" + limit + ")");
  }

  /**
   * A request that protobuf cannot read as the method's message, as grpc-go words it: for a
   * unary call "grpc: error unmarshalling request: P", for a message on a client stream "grpc:
   * failed to unmarshal the received message P", P the Go protobuf library's words.
   */
  public static Status unreadableRequest(boolean stream, String problem) {
    return Status.INTERNAL.withDescription(stream
        ? "grpc: failed to unmarshal the received message " + problem
        : "grpc: error unmarshalling request: " + problem);
  }

  /**
   * A message whose frame header's flag byte is neither 0 (plain) nor 1 (compressed): grpc-go's
   * {@code checkRecvPayload} answers INTERNAL "grpc: received unexpected payload format F".
   */
  public static Status unexpectedPayloadFormat(int flag) {
    return Status.INTERNAL.withDescription("grpc: received unexpected payload format " + flag);
  }

  /** The Go protobuf library's words for a known field sent with another wire type. */
  public static String wrongWireType(int wireType, String goFieldName) {
    return "proto: wrong wireType = " + wireType + " for field " + goFieldName;
  }
}
