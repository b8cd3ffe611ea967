package keel.server.api.http.gateway;

import com.google.protobuf.Descriptors.Descriptor;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import io.grpc.MethodDescriptor;
import io.netty.util.concurrent.EventExecutor;
import keel.server.api.http.gateway.GoUnmarshal.GoJsonException;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a gateway call's requests come from, one at a time as the call asks ({@link GatewayCall}
 * polls on its event loop). A unary or server-streaming call has exactly one request, decoded
 * before the call starts; a bidirectional stream (watch, lease keep-alive) reads JSON values from
 * the body as it arrives, as grpc-gateway's decoder loop does.
 */
interface GatewayRequests<Req> {
  /** What {@link #poll()} found. */
  sealed interface Item<Req> {
    record Message<Req>(Req value) implements Item<Req> {}

    /** No request will follow: the call is half-closed. */
    record End<Req>() implements Item<Req> {}

    /** The first request could not be read: the gateway answers with this error and no call. */
    record Unreadable<Req>(String error) implements Item<Req> {}
  }

  /** Begins reading; {@code ready} runs (on the call's event loop) whenever {@link #poll()} may have more. */
  void start(Runnable ready);

  /** The next item, or null while more of the body is awaited. */
  Item<Req> poll();

  /** Stops reading (the call ended or was cancelled). */
  void stop();

  static <Req> GatewayRequests<Req> single(Req request) {
    return new Single<>(request);
  }

  /** One request, then the end. */
  final class Single<Req> implements GatewayRequests<Req> {
    private Req request;

    Single(Req request) {
      this.request = request;
    }

    @Override
    public void start(Runnable ready) { }

    @Override
    public Item<Req> poll() {
      if (request == null) {
        return new Item.End<>();
      }
      Req value = request;
      request = null;
      return new Item.Message<>(value);
    }

    @Override
    public void stop() {
      request = null;
    }
  }

  /**
   * Requests read from a body as it arrives, one JSON value each. The body is pulled only while
   * the call wants a request and none is decoded yet, so a client that streams creates faster than
   * the watch stream takes them is held back by TCP, not buffered here. A value after the first
   * that cannot be read ends the requests (grpc-gateway logs it and half-closes the stream).
   */
  final class Body<Req> implements GatewayRequests<Req>, Subscriber<HttpObject> {
    private static final Logger LOG = LoggerFactory.getLogger(Body.class);

    private final HttpRequest body;
    private final EventExecutor eventLoop;
    private final MethodDescriptor<Req, ?> method;
    private final Descriptor shape;
    private final GoJsonStream values = new GoJsonStream();
    private Runnable ready;
    private Subscription subscription;
    private boolean requested;
    private boolean finished;
    private boolean first = true;

    Body(HttpRequest body, EventExecutor eventLoop, MethodDescriptor<Req, ?> method, Descriptor shape) {
      this.body = body;
      this.eventLoop = eventLoop;
      this.method = method;
      this.shape = shape;
    }

    @Override
    public void start(Runnable ready) {
      this.ready = ready;
      body.subscribe(this, eventLoop);
    }

    @Override
    public Item<Req> poll() {
      if (finished) {
        return new Item.End<>();
      }
      GoJsonStream.Next next = values.next();
      switch (next.kind()) {
        case VALUE -> {
          try {
            Req request = GatewayCodec.parse(method, shape, next.value());
            first = false;
            return new Item.Message<>(request);
          } catch (GoJsonException e) {
            return unreadable(e.getMessage());
          }
        }
        case ERROR -> {
          return unreadable(next.error());
        }
        case EOF -> {
          finished = true;
          return new Item.End<>();
        }
        default -> {
          pull();
          return null;
        }
      }
    }

    private Item<Req> unreadable(String error) {
      finished = true;
      stop();
      if (first) {
        return new Item.Unreadable<>(error);
      }
      LOG.debug("gateway {}: a later request could not be read, ending the requests: {}",
          method.getFullMethodName(), error);
      return new Item.End<>();
    }

    private void pull() {
      if (subscription != null && !requested) {
        requested = true;
        subscription.request(1);
      }
    }

    @Override
    public void stop() {
      if (subscription != null) {
        subscription.cancel();
      }
    }

    @Override
    public void onSubscribe(Subscription s) {
      subscription = s;
      ready.run();
    }

    @Override
    public void onNext(HttpObject object) {
      requested = false;
      if (object instanceof HttpData data) {
        values.feed(data.array());
      }
      ready.run();
    }

    @Override
    public void onError(Throwable t) {
      // the client went away mid-body: the call is cancelled through the request context
      values.end();
      ready.run();
    }

    @Override
    public void onComplete() {
      values.end();
      ready.run();
    }
  }
}
