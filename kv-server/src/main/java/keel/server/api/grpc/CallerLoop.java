package keel.server.api.grpc;

import com.linecorp.armeria.server.ServiceRequestContext;
import java.util.concurrent.Executor;

/**
 * The event loop of the call being served, for work that must run there or should not pile up on
 * the thread that completed a future (a ReadIndex round completes a thousand reads on one
 * thread). Outside a call (an in-process caller) the completing thread itself.
 */
final class CallerLoop {
  private CallerLoop() {}

  static Executor current() {
    ServiceRequestContext ctx = ServiceRequestContext.currentOrNull();
    return ctx != null ? ctx.eventLoop() : Runnable::run;
  }
}
