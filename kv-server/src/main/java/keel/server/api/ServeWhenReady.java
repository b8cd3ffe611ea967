package keel.server.api;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.util.concurrent.CompletableFuture;

/**
 * Holds every client request until the member is ready, as etcd's client listener serves nothing
 * before its member has published itself through the log and applied that entry: a member that
 * restarts first replays its log, and until it has caught up its store is older than what it
 * served before the crash (a serializable read would go back in time, found by the torture run).
 * The port listens from the start; a request that arrives early waits (its client's deadline
 * still applies), then is served.
 */
public final class ServeWhenReady implements DecoratingHttpServiceFunction {
  private final CompletableFuture<Void> ready;

  public ServeWhenReady(CompletableFuture<Void> ready) {
    this.ready = ready;
  }

  @Override
  public HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    if (ready.isDone() && !ready.isCompletedExceptionally()) {
      return delegate.serve(ctx, req);
    }
    return HttpResponse.of(ready.thenApplyAsync(ignored -> {
      try {
        return delegate.serve(ctx, req);
      } catch (Exception e) {
        return HttpResponse.ofFailure(e);
      }
    }, ctx.eventLoop()));
  }
}
