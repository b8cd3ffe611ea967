package keel.server.api.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.List;
import java.util.Map;
import keel.server.errors.GrpcTransportError;

/**
 * Refuses a request in which a field the method's message declares came with another wire type,
 * as etcd does. Go's protobuf code (etcd's gogo-generated Unmarshal) fails such a message ("proto:
 * wrong wireType = 1 for field Key") and grpc-go answers INTERNAL before etcd sees it; Java's
 * protobuf keeps the bytes as an unknown field and leaves the field unset, so without this check
 * Keel would serve a different request than the one sent (an unset range_end: one key instead of
 * a range) where etcd refuses. Numbers the message does not declare stay allowed: etcd 3.4 fields
 * that jetcd-grpc's protos lack are read as unknown fields on purpose (WatchStream).
 */
public final class WireTypeCheck implements ServerInterceptor {
  /** Per message type: whether it has message-typed fields, the only ones worth a reflective walk. */
  private static final java.util.concurrent.ConcurrentMap<com.google.protobuf.Descriptors.Descriptor, Boolean>
      HAS_MESSAGE_FIELDS = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public <Req, Resp> ServerCall.Listener<Req> interceptCall(ServerCall<Req, Resp> call, Metadata headers,
      ServerCallHandler<Req, Resp> next) {
    boolean stream = !call.getMethodDescriptor().getType().clientSendsOneMessage();
    ServerCall.Listener<Req> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean refused;

      @Override
      public void onMessage(Req message) {
        if (refused) {
          return;
        }
        String problem = message instanceof Message m ? wrongWireType(m) : null;
        if (problem != null) {
          refused = true;
          call.close(GrpcTransportError.unreadableRequest(stream, problem), new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }

  /** Go's words for the first declared field found with another wire type, or null when none is. */
  static String wrongWireType(Message message) {
    for (Map.Entry<Integer, UnknownFieldSet.Field> unknown : message.getUnknownFields().asMap().entrySet()) {
      FieldDescriptor declared = message.getDescriptorForType().findFieldByNumber(unknown.getKey());
      if (declared != null) {
        return GrpcTransportError.wrongWireType(wireType(unknown.getValue()), goName(declared.getName()));
      }
    }
    if (!HAS_MESSAGE_FIELDS.computeIfAbsent(message.getDescriptorForType(), WireTypeCheck::hasMessageFields)) {
      return null; // Put, Range, keep-alives...: no nested message, no reflection on the hot path
    }
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      if (field.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      List<?> values = field.getKey().isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
      for (Object value : values) {
        String problem = wrongWireType((Message) value);
        if (problem != null) {
          return problem;
        }
      }
    }
    return null;
  }

  private static boolean hasMessageFields(com.google.protobuf.Descriptors.Descriptor type) {
    return type.getFields().stream().anyMatch(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE);
  }

  private static int wireType(UnknownFieldSet.Field field) {
    if (!field.getVarintList().isEmpty()) {
      return 0;
    }
    if (!field.getFixed64List().isEmpty()) {
      return 1;
    }
    if (!field.getLengthDelimitedList().isEmpty()) {
      return 2;
    }
    if (!field.getGroupList().isEmpty()) {
      return 3;
    }
    return 5;
  }

  /** protoc-gen-go's field name: {@code range_end} is {@code RangeEnd}, {@code ID} stays. */
  static String goName(String protoName) {
    StringBuilder name = new StringBuilder(protoName.length());
    boolean upper = true;
    for (char c : protoName.toCharArray()) {
      if (c == '_') {
        upper = true;
        continue;
      }
      name.append(upper ? Character.toUpperCase(c) : c);
      upper = false;
    }
    return name.toString();
  }
}
