package keel.server.errors;

import io.grpc.Status;

/**
 * gRPC's own refusals that etcd's clients see from etcd's gRPC server (grpc-go), with grpc-go's
 * code and text: these come from the transport, before any etcd code runs, so they are not in
 * etcd's error table ({@link EtcdError}).
 */
public final class GrpcLimitError {
  private GrpcLimitError() {}

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
}
