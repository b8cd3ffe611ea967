package keel.server.api.grpc;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;

/**
 * Adds to a generated service a unary method of etcd 3.4 that jetcd-grpc's copy of rpc.proto
 * lacks (Lease/LeaseLeases, Cluster/MemberPromote), with messages Keel declares itself under
 * etcd's field numbers, so the bytes on the wire are etcd's.
 */
final class MissingMethods {
  private MissingMethods() {}

  static <Q extends Message, R extends Message> ServerServiceDefinition withUnary(ServerServiceDefinition generated,
      String method, Q requestType, R responseType, ServerCalls.UnaryMethod<Q, R> handler) {
    String service = generated.getServiceDescriptor().getName();
    MethodDescriptor<Q, R> descriptor = MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
        .setRequestMarshaller(ProtoUtils.marshaller(requestType))
        .setResponseMarshaller(ProtoUtils.marshaller(responseType))
        .build();
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(service);
    for (ServerMethodDefinition<?, ?> existing : generated.getMethods()) {
      builder.addMethod(existing);
    }
    return builder.addMethod(descriptor, ServerCalls.asyncUnaryCall(handler)).build();
  }
}
