package keel.agent.proxy;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Finds where a new proxied connection goes. Called once per accepted connection; the agent does a
 * linearizable read of the election, so a connection never starts on what a node merely remembers.
 * Empty: nobody holds the gate now (the proxy closes the connection).
 */
@FunctionalInterface
public interface RouteResolver {
  CompletableFuture<Optional<Route>> resolve();
}
