package keel.server.api.grpc;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import keel.server.errors.GrpcTransportError;

/**
 * A request marshaller that reads the bytes by Go's rules ({@link GoWire}) before Java's protobuf
 * parses them: a request etcd refuses is refused with grpc-go's INTERNAL and words, and a field
 * etcd skips is skipped. Responses are written by the method's own marshaller. Not a prototype
 * marshaller on purpose: Armeria would then parse the bytes itself, past this check.
 */
public final class GoWireMarshaller<T> implements MethodDescriptor.Marshaller<T> {
  private final MethodDescriptor.Marshaller<T> delegate;
  private final Descriptor type;
  private final Parser<T> parser;
  private final boolean stream;

  private GoWireMarshaller(MethodDescriptor.Marshaller<T> delegate, Descriptor type, Parser<T> parser, boolean stream) {
    this.delegate = delegate;
    this.type = type;
    this.parser = parser;
    this.stream = stream;
  }

  /** Every method of {@code service} with its requests read by Go's rules. */
  public static ServerServiceDefinition wrap(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder wrapped = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      wrapped.addMethod(wrap(method));
    }
    return wrapped.build();
  }

  @SuppressWarnings("unchecked")
  private static <Req, Resp> ServerMethodDefinition<Req, Resp> wrap(ServerMethodDefinition<Req, Resp> method) {
    MethodDescriptor<Req, Resp> descriptor = method.getMethodDescriptor();
    if (!(descriptor.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<Req> proto)
        || !(proto.getMessagePrototype() instanceof Message prototype)) {
      return method;
    }
    GoWireMarshaller<Req> marshaller = new GoWireMarshaller<>(proto, prototype.getDescriptorForType(),
        (Parser<Req>) prototype.getParserForType(), !descriptor.getType().clientSendsOneMessage());
    return ServerMethodDefinition.create(descriptor.toBuilder().setRequestMarshaller(marshaller).build(),
        method.getServerCallHandler());
  }

  /** The method's own marshaller, whose prototype the /v3 gateway reads. */
  public MethodDescriptor.Marshaller<T> delegate() {
    return delegate;
  }

  @Override
  public InputStream stream(T value) {
    return delegate.stream(value);
  }

  @Override
  public T parse(InputStream in) {
    byte[] bytes;
    try {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    GoWire.Read read = GoWire.read(bytes, type);
    if (read.problem() != null) {
      throw GrpcTransportError.unreadableRequest(stream, read.problem()).asRuntimeException();
    }
    try {
      return parser.parseFrom(read.bytes());
    } catch (InvalidProtocolBufferException e) {
      throw GrpcTransportError.unreadableRequest(stream, "proto: " + e.getMessage()).withCause(e).asRuntimeException();
    }
  }
}
