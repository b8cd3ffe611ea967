package keel.fuzz;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A gRPC client that sends and receives bytes, not messages: any body can go to any method of a
 * server (valid, random or malformed protobuf), and what comes back is the raw answers plus the
 * final status. One channel per instance; close it.
 */
final class RawGrpc implements AutoCloseable {
  /** Bytes as they are on the wire inside a gRPC frame. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** What a call ended with: every answer, then the status and trailers. */
  record Exchange(List<byte[]> responses, Status status, Metadata trailers) {
    @Override
    public String toString() {
      return responses.size() + " responses, then " + status.getCode() + " \"" + status.getDescription() + "\"";
    }
  }

  private final ManagedChannel channel;

  RawGrpc(URI endpoint) {
    this.channel = NettyChannelBuilder.forAddress(endpoint.getHost(), endpoint.getPort())
        .usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE)
        .build();
  }

  static MethodDescriptor<byte[], byte[]> method(String fullName, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(fullName)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  /**
   * Sends {@code requests} on one call, half-closes at once and waits for the server to end the
   * call. A server that does not end it within {@code timeout} fails with a TimeoutException
   * (the call is then cancelled).
   */
  Exchange call(MethodDescriptor<byte[], byte[]> method, List<byte[]> requests, Duration timeout)
      throws TimeoutException, InterruptedException {
    ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT);
    List<byte[]> responses = new ArrayList<>();
    CompletableFuture<Exchange> done = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        synchronized (responses) {
          responses.add(message);
        }
        call.request(1);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        synchronized (responses) {
          done.complete(new Exchange(List.copyOf(responses), status, trailers));
        }
      }
    }, new Metadata());
    call.request(1);
    for (byte[] request : requests) {
      call.sendMessage(request);
    }
    call.halfClose();
    try {
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      call.cancel("no end within " + timeout, null);
      synchronized (responses) {
        throw new TimeoutException(method.getFullMethodName() + " did not end within " + timeout
            + " after " + responses.size() + " responses");
      }
    }
  }

  /**
   * Sends {@code requests} on one call, half-closes at once and collects answers until {@code
   * wanted} have come, the server ends the call, or {@code timeout} passes; then cancels the call
   * if it is still open. For streams the server keeps open after a half-close (Watch, as etcd).
   */
  List<byte[]> collect(MethodDescriptor<byte[], byte[]> method, List<byte[]> requests, int wanted,
      Duration timeout) throws InterruptedException {
    ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT);
    java.util.concurrent.BlockingQueue<Object> arrivals = new java.util.concurrent.LinkedBlockingQueue<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        arrivals.add(message);
        call.request(1);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        arrivals.add(status);
      }
    }, new Metadata());
    call.request(1);
    for (byte[] request : requests) {
      call.sendMessage(request);
    }
    call.halfClose();
    List<byte[]> responses = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (responses.size() < wanted) {
        Object next = arrivals.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (!(next instanceof byte[] message)) {
          break; // timed out or closed
        }
        responses.add(message);
      }
    } finally {
      call.cancel("test has its answers", null);
    }
    return responses;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(10, TimeUnit.SECONDS);
  }
}
