package keel.server.api.http;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import keel.server.command.CommandResult;
import keel.server.command.Proposer;
import keel.server.command.V2Answers;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;
import keel.server.raft.RatisNode;
import keel.server.v2store.EpochClock;
import keel.server.v2store.V2Event;
import keel.server.v2store.V2Stats;
import keel.server.v2store.V2Store;
import keel.server.v2store.V2Watcher;

/**
 * etcd 3.4's v2 keys API ({@code /v2/keys}) on the client port. Writes become one log command each
 * and answer what the state machine answered; reads are served from this member's tree, after a
 * ReadIndex barrier when {@code quorum=true} (etcd sends those through its log; the answer is the
 * same); {@code wait=true} holds the response open until an event, and {@code stream=true} keeps
 * sending events. Headers, status codes and bodies are etcd's.
 */
public final class V2KeysRoutes {
  static final String PREFIX = "/v2/keys";
  private static final String ALLOWED = "HEAD,GET,PUT,POST,DELETE";
  private static final MediaType JSON = MediaType.parse("application/json");
  /**
   * Go's {@code http.Request.ParseForm} reads at most this much of a form body; etcd's v2 writes
   * know no other limit (not {@code --max-request-bytes}). Larger bodies are read up to twice
   * this, to answer Go's "POST too large"; beyond that the server refuses them with 413.
   */
  public static final long MAX_FORM_BYTES = 10L << 20;
  /** A v2 write's log command: the form's bytes plus its other fields. */
  private static final long MAX_COMMAND_BYTES = MAX_FORM_BYTES + (64 << 10);

  private final V2Store store;
  private final Proposer proposer;
  private final RatisNode node;
  private final String clusterId;

  /**
   * @param clusterId etcd's cluster id in hex, for X-Etcd-Cluster-ID
   */
  public V2KeysRoutes(V2Store store, Proposer proposer, RatisNode node, String clusterId) {
    this.store = store;
    this.proposer = proposer;
    this.node = node;
    this.clusterId = clusterId;
  }

  public void addTo(ServerBuilder builder) {
    builder.route().path(PREFIX).maxRequestLength(2 * MAX_FORM_BYTES)
        .build((ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> serve(ctx, agg))));
    builder.route().pathPrefix(PREFIX + "/").maxRequestLength(2 * MAX_FORM_BYTES)
        .build((ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> serve(ctx, agg))));
  }

  private HttpResponse serve(ServiceRequestContext ctx, AggregatedHttpRequest req) {
    HttpMethod method = req.method();
    if (method != HttpMethod.HEAD && method != HttpMethod.GET && method != HttpMethod.PUT
        && method != HttpMethod.POST && method != HttpMethod.DELETE) {
      return HttpRoutes.methodNotAllowed(ALLOWED);
    }
    V2KeyRequest request;
    try {
      request = V2KeyRequest.parse(method.name(), keyPath(ctx), form(ctx, req));
    } catch (V2Exception e) {
      return error(e);
    }
    if (request.isWrite()) {
      return HttpResponse.of(write(request));
    }
    if (request.quorum() && method == HttpMethod.GET) {
      // etcd's QGET: a linearizable read, whatever wait says.
      return HttpResponse.of(node.readBarrier()
          .thenApply(ignored -> read(request))
          .exceptionally(e -> error(raftError(e))));
    }
    if (request.waitForChange()) {
      return watch(request);
    }
    return read(request);
  }

  /**
   * The key as Go's {@code r.URL.Path} has it: the path as sent, every %-escape decoded ({@code %2F}
   * too), bytes that are not UTF-8 each one U+FFFD as etcd prints them ({@link GoUtf8});
   * Armeria's decoded path keeps {@code %2F} and makes one U+FFFD of a whole bad sequence.
   */
  private static String keyPath(ServiceRequestContext ctx) {
    String raw = ctx.rawPath();
    int q = raw.indexOf('?');
    byte[] bytes = GoPathRedirect.unescapeBytes(q < 0 ? raw : raw.substring(0, q));
    String path = bytes == null ? null : GoUtf8.decode(bytes);
    if (path == null || !path.startsWith(PREFIX)) {
      path = ctx.decodedPath();
    }
    return path.substring(PREFIX.length());
  }

  /** Go's Request.Form: a form body's values (PUT and POST) before the query's. */
  private static Map<String, List<String>> form(ServiceRequestContext ctx, AggregatedHttpRequest req) {
    GoForm.Parsed body = new GoForm.Parsed(Map.of(), null);
    MediaType type = req.contentType();
    boolean formBody = (req.method() == HttpMethod.PUT || req.method() == HttpMethod.POST)
        && type != null && type.is(MediaType.FORM_DATA);
    if (formBody) {
      if (req.content().length() > MAX_FORM_BYTES) {
        throw V2Error.INVALID_FORM.requestError("http: POST too large");
      }
      body = GoForm.parse(req.content().array());
    }
    GoForm.Parsed query = GoForm.parse(ctx.query());
    String error = body.error() != null ? body.error() : query.error();
    if (error != null) {
      throw V2Error.INVALID_FORM.requestError(error);
    }
    return GoForm.merge(body.values(), query.values());
  }

  private HttpResponse read(V2KeyRequest request) {
    try {
      V2Event event = store.get(request.key(), request.recursive(), request.sorted(), EpochClock.nowNanos());
      store.stats().record(V2Stats.Op.GETS, true);
      return event(event, false);
    } catch (V2Exception e) {
      store.stats().record(V2Stats.Op.GETS, false);
      return error(e);
    }
  }

  private CompletableFuture<HttpResponse> write(V2KeyRequest request) {
    return proposer.propose(request.command(EpochClock.nowNanos()), MAX_COMMAND_BYTES)
        .thenApply(result -> answer(result, request.noValueOnSuccess()))
        .exceptionally(e -> error(raftError(e)));
  }

  private HttpResponse answer(CommandResult result, boolean noValueOnSuccess) {
    try {
      return event(V2Answers.event(result.getV2()), noValueOnSuccess);
    } catch (V2Exception e) {
      return error(e);
    }
  }

  /**
   * etcd's handleKeyWatch: headers at once (X-Etcd-Index is the index when the watch began), then
   * one JSON event per line; a one-shot watch ends after its event, a stream when the client goes
   * or the watcher is dropped for falling behind.
   */
  private HttpResponse watch(V2KeyRequest request) {
    V2Watcher watcher;
    try {
      watcher = store.watch(request.key(), request.recursive(), request.stream(), request.waitIndex());
    } catch (V2Exception e) {
      return error(e);
    }
    HttpResponseWriter response = HttpResponse.streaming();
    response.write(headers(HttpStatus.OK, watcher.startIndex()).build());
    response.whenComplete().whenComplete((ignored, error) -> watcher.close());
    if (!request.stream()) {
      watcher.firstEvent().whenComplete((event, error) -> {
        if (event != null && response.tryWrite(HttpData.ofUtf8(V2Json.event(event)))) {
          response.close();
        } else if (!(error instanceof CancellationException)) {
          response.close();
        }
      });
      return response;
    }
    StreamPump pump = new StreamPump(watcher, response);
    watcher.onDelivery(pump::pump);
    return response;
  }

  /**
   * Moves a stream watcher's events to its response one at a time, the next only once the client
   * has taken the previous one. Events wait in the watcher's bounded queue meanwhile; a client too
   * slow for it is dropped by the store, as etcd drops it, and its response ends once drained.
   */
  private static final class StreamPump {
    private final V2Watcher watcher;
    private final HttpResponseWriter response;
    private boolean writing;

    StreamPump(V2Watcher watcher, HttpResponseWriter response) {
      this.watcher = watcher;
      this.response = response;
    }

    void pump() {
      synchronized (this) {
        if (writing) {
          return;
        }
        V2Event event;
        try {
          event = watcher.poll(0, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        if (event == null) {
          if (watcher.isClosed()) {
            response.close();
          }
          return;
        }
        if (!response.tryWrite(HttpData.ofUtf8(V2Json.event(event)))) {
          watcher.close();
          return;
        }
        writing = true;
      }
      response.whenConsumed().whenComplete((ignored, error) -> {
        synchronized (this) {
          writing = false;
        }
        if (error == null) {
          pump();
        } else {
          watcher.close();
        }
      });
    }
  }

  private HttpResponse event(V2Event event, boolean noValueOnSuccess) {
    HttpStatus status = event.isCreated() ? HttpStatus.CREATED : HttpStatus.OK;
    return HttpResponse.of(headers(status, event.etcdIndex()).build(),
        HttpData.ofUtf8(V2Json.event(event, noValueOnSuccess)));
  }

  private ResponseHeadersBuilder headers(HttpStatus status, long etcdIndex) {
    return ResponseHeaders.builder(status)
        .contentType(JSON)
        .add("x-etcd-cluster-id", clusterId)
        .add("x-etcd-index", Long.toUnsignedString(etcdIndex))
        .add("x-raft-index", Long.toString(node.commitIndex()))
        .add("x-raft-term", Long.toString(node.term()));
  }

  /** etcd's v2error WriteTo: the error's status, X-Etcd-Index of the error, a JSON body. */
  private HttpResponse error(V2Exception e) {
    ResponseHeaders headers = ResponseHeaders.builder(HttpStatus.valueOf(e.error().httpStatus()))
        .contentType(JSON)
        .add("x-etcd-cluster-id", clusterId)
        .add("x-etcd-index", Long.toUnsignedString(e.index()))
        .build();
    return HttpResponse.of(headers, HttpData.ofUtf8(V2Json.error(e)));
  }

  /**
   * A write or quorum read that did not get through Raft: etcd answers 300 "Raft Internal Error"
   * with its server error as the cause; a request that waited out its deadline is "request timed
   * out" there.
   */
  static V2Exception raftError(Throwable failure) {
    Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (e instanceof V2Exception v2) {
      return v2;
    }
    String cause = e instanceof EtcdException etcd
        ? (etcd.error() == EtcdError.PROPOSAL_DEADLINE_EXCEEDED ? EtcdError.TIMEOUT.message() : etcd.error().message())
        : EtcdError.TIMEOUT.message();
    return V2Error.RAFT_INTERNAL.toException(cause, 0);
  }
}
