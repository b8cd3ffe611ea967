package keel.server.api.http.gateway;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import keel.server.api.http.gateway.GoUnmarshal.GoJsonException;

/**
 * The gateway's JSON codec over a gRPC method's own marshallers: a request value is read into the
 * method's request shape ({@link EtcdMessages}) and handed to the method as the bytes a gRPC client
 * would have sent; a response is turned back into bytes and printed in its shape. So the service
 * code cannot tell a gateway call from a gRPC call, and fields Keel keeps as unknown fields print
 * by name.
 */
final class GatewayCodec {
  private GatewayCodec() {}

  /** The shape a method's requests are read in. */
  static Descriptor requestShape(MethodDescriptor<?, ?> method) {
    return EtcdMessages.shapeOf(prototype(method.getRequestMarshaller()).getDescriptorForType());
  }

  /** The shape a method's responses are printed in. */
  static Descriptor responseShape(MethodDescriptor<?, ?> method) {
    return EtcdMessages.shapeOf(prototype(method.getResponseMarshaller()).getDescriptorForType());
  }

  /** One JSON value (from {@link GoJsonStream}) as the method's request. */
  static <Req> Req parse(MethodDescriptor<Req, ?> method, Descriptor shape, byte[] value) throws GoJsonException {
    DynamicMessage request = JsonpbReader.read(value, shape);
    return method.parseRequest(request.toByteString().newInput());
  }

  /** A response of the method as etcd's gateway prints it. */
  static <Resp> String print(MethodDescriptor<?, Resp> method, Descriptor shape, Resp response) {
    try (InputStream bytes = method.streamResponse(response)) {
      return JsonpbPrinter.print(DynamicMessage.parseFrom(shape, bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("a response of " + method.getFullMethodName() + " did not reparse", e);
    }
  }

  private static Message prototype(MethodDescriptor.Marshaller<?> marshaller) {
    if (marshaller instanceof keel.server.api.grpc.GoWireMarshaller<?> goWire) {
      marshaller = goWire.delegate();
    }
    if (marshaller instanceof MethodDescriptor.PrototypeMarshaller<?> proto
        && proto.getMessagePrototype() instanceof Message message) {
      return message;
    }
    throw new IllegalArgumentException("not a protobuf marshaller: " + marshaller);
  }
}
