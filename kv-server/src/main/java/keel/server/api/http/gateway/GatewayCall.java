package keel.server.api.http.gateway;

import com.google.protobuf.Descriptors.Descriptor;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway request run as a gRPC server call on Keel's own service definition, the way
 * grpc-gateway runs it as a gRPC client call against etcd: the same validation, errors, headers
 * and streaming code serve both doors. This class is the {@link ServerCall} the service's call
 * handler sees; requests come from {@link GatewayRequests}, responses go out as JSON.
 *
 * <p>Threads: the listener is called on the request's event loop only, one call at a time, as
 * gRPC requires; {@link #request}, {@link #sendMessage} and {@link #close} may come from any
 * thread. Flow control: a streaming response is ready while everything written so far has been
 * taken by the connection, so a watch whose HTTP client stops reading backs up into the watch
 * stream's own queues, as with gRPC.
 *
 * <p>A client that disconnects cancels the call ({@code onCancel}): the watch stream then cancels
 * its watchers, as etcd's does when the gateway's gRPC stream is cancelled.
 */
final class GatewayCall<Req, Resp> extends ServerCall<Req, Resp> {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayCall.class);

  private final Executor eventLoop;
  private final MethodDescriptor<Req, Resp> method;
  private final Descriptor responseShape;
  private final GatewayRequests<Req> requests;
  private final Responder responder;

  // event loop only
  private Listener<Req> listener;
  private GatewayRequests.Item<Req> pending;
  private int demand;
  private boolean halfClosed;
  private boolean delivering;

  private volatile boolean cancelled;
  private volatile boolean closed;

  private GatewayCall(ServiceRequestContext ctx, MethodDescriptor<Req, Resp> method, GatewayRequests<Req> requests,
      Responder responder) {
    this.eventLoop = ctx.eventLoop();
    this.method = method;
    this.responseShape = GatewayCodec.responseShape(method);
    this.requests = requests;
    this.responder = responder;
  }

  /**
   * Starts the call on {@code handler} and returns the HTTP response it will produce. Call from
   * the request's context (the service sees it as current, as under Armeria's gRPC).
   */
  static <Req, Resp> HttpResponse start(ServiceRequestContext ctx, ServerCallHandler<Req, Resp> handler,
      MethodDescriptor<Req, Resp> method, GatewayRequests<Req> requests) {
    boolean streaming = !method.getType().serverSendsOneMessage();
    Responder responder = streaming ? new StreamResponder() : new UnaryResponder();
    GatewayCall<Req, Resp> call = new GatewayCall<>(ctx, method, requests, responder);
    responder.onReady(() -> call.onEventLoop(call::ready));
    ctx.whenRequestCancelling().thenRun(() -> call.onEventLoop(call::cancel));
    responder.whenAbandoned(() -> call.onEventLoop(call::cancel));
    call.listener = handler.startCall(call, new Metadata());
    requests.start(() -> call.onEventLoop(call::deliver));
    call.onEventLoop(call::ready);
    return responder.response();
  }

  private void onEventLoop(Runnable task) {
    eventLoop.execute(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.error("gateway {}: the service failed", method.getFullMethodName(), e);
        close(Status.UNKNOWN, new Metadata());
      }
    });
  }

  @Override
  public void request(int count) {
    onEventLoop(() -> {
      demand += count;
      deliver();
    });
  }

  /** Hands out requests while the call wants them; the end of the requests whenever it comes. */
  private void deliver() {
    if (delivering) {
      return; // a listener asked for more from inside onMessage: the loop below sees the new demand
    }
    delivering = true;
    try {
      while (!cancelled && !closed && !halfClosed) {
        if (pending == null) {
          pending = requests.poll();
          if (pending == null) {
            return; // more body to come; deliver runs again when it arrives
          }
        }
        if (pending instanceof GatewayRequests.Item.End<Req>) {
          pending = null;
          halfClosed = true;
          listener.onHalfClose();
          return;
        }
        if (pending instanceof GatewayRequests.Item.Unreadable<Req> unreadable) {
          // grpc-gateway gives up on the stream: a plain error of its own, code Unknown
          pending = null;
          responder.fail(Status.UNKNOWN.withDescription(unreadable.error()));
          cancel();
          return;
        }
        if (demand == 0) {
          return;
        }
        demand--;
        Req request = ((GatewayRequests.Item.Message<Req>) pending).value();
        pending = null;
        listener.onMessage(request);
      }
    } finally {
      delivering = false;
    }
  }

  private void ready() {
    if (!cancelled && !closed && responder.isReady()) {
      listener.onReady();
    }
  }

  private void cancel() {
    if (cancelled || closed) {
      return;
    }
    cancelled = true;
    requests.stop();
    LOG.debug("gateway {}: cancelled", method.getFullMethodName());
    listener.onCancel();
  }

  @Override
  public void sendHeaders(Metadata headers) { }

  @Override
  public void sendMessage(Resp message) {
    if (closed || cancelled) {
      return;
    }
    responder.message(GatewayCodec.print(method, responseShape, message));
  }

  @Override
  public boolean isReady() {
    return !cancelled && !closed && responder.isReady();
  }

  @Override
  public void close(Status status, Metadata trailers) {
    if (closed) {
      return;
    }
    closed = true;
    responder.close(status);
    onEventLoop(() -> {
      requests.stop();
      if (!cancelled) {
        listener.onComplete();
      }
    });
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public MethodDescriptor<Req, Resp> getMethodDescriptor() {
    return method;
  }

  /** How the call's messages and end become HTTP. */
  private interface Responder {
    HttpResponse response();

    void message(String json);

    /** The call ended (OK or with an error status). */
    void close(Status status);

    /** The first request was unreadable: the plain error grpc-gateway answers before any stream. */
    void fail(Status status);

    boolean isReady();

    void onReady(Runnable ready);

    /** {@code cancel} runs if the client stops taking the response before it ends. */
    void whenAbandoned(Runnable cancel);
  }

  /** One message, then the whole answer at once. */
  private static final class UnaryResponder implements Responder {
    private final CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    private volatile String message;

    @Override
    public HttpResponse response() {
      return HttpResponse.of(response);
    }

    @Override
    public void message(String json) {
      message = json;
    }

    @Override
    public void close(Status status) {
      if (status.isOk() && message != null) {
        response.complete(GatewayResponses.message(message));
      } else if (status.isOk()) {
        response.complete(GatewayResponses.callError(Status.INTERNAL.withDescription("no response")));
      } else {
        response.complete(GatewayResponses.callError(status));
      }
    }

    @Override
    public void fail(Status status) {
      response.complete(GatewayResponses.requestError(status.getCode(), status.getDescription()));
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void onReady(Runnable ready) { }

    @Override
    public void whenAbandoned(Runnable cancel) { }
  }

  /**
   * {@code {"result":...}} lines as messages come, flushed one by one; the response headers go with
   * the first line, as grpc-gateway waits for the stream's first message before it answers.
   */
  private static final class StreamResponder implements Responder {
    private final HttpResponseWriter writer = HttpResponse.streaming();
    private boolean started;
    private boolean ended;
    /** Writes so far and writes the connection has taken; ready when equal. */
    private long written;
    private volatile long consumed;
    private Runnable ready = () -> { };

    @Override
    public HttpResponse response() {
      return writer;
    }

    @Override
    public synchronized void message(String json) {
      if (ended) {
        return;
      }
      start(200);
      write(GatewayBodies.result(json));
    }

    @Override
    public synchronized void close(Status status) {
      if (ended) {
        return;
      }
      if (status.isOk()) {
        start(200);
      } else {
        start(GatewayBodies.httpStatus(status.getCode()));
        write(GatewayBodies.streamError(status.getCode(), status.getDescription()));
      }
      ended = true;
      writer.close();
    }

    @Override
    public synchronized void fail(Status status) {
      if (ended) {
        return;
      }
      ended = true;
      if (started) { // cannot happen: nothing is sent before the first request is read
        writer.close();
        return;
      }
      writer.close(GatewayResponses.requestErrorAggregated(status.getCode(), status.getDescription()));
    }

    private void start(int status) {
      if (!started) {
        started = true;
        writer.tryWrite(GatewayResponses.streamHeaders(status));
      }
    }

    private void write(String chunk) {
      long sequence = ++written;
      if (writer.tryWrite(HttpData.ofUtf8(chunk))) {
        writer.whenConsumed().thenRun(() -> consumedUpTo(sequence));
      }
    }

    private void consumedUpTo(long sequence) {
      boolean nowReady;
      synchronized (this) {
        if (sequence <= consumed) {
          return;
        }
        consumed = sequence;
        nowReady = sequence == written;
      }
      if (nowReady) {
        ready.run();
      }
    }

    @Override
    public synchronized boolean isReady() {
      return !ended && consumed == written;
    }

    @Override
    public void onReady(Runnable ready) {
      this.ready = ready;
    }

    @Override
    public void whenAbandoned(Runnable cancel) {
      writer.whenComplete().exceptionally(error -> {
        cancel.run();
        return null;
      });
    }
  }
}
