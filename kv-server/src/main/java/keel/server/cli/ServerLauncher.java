package keel.server.cli;

import keel.server.ServerConfig;

/**
 * Starts a member from its configuration. {@code keel server} calls it once, after parsing, and
 * closes what it returns on SIGTERM or SIGINT. Tests pass a fake; {@link KeelMain} wires the real
 * server.
 */
@FunctionalInterface
public interface ServerLauncher {
  /** Starts the member and returns once it is running; closing the result stops it. */
  AutoCloseable start(ServerConfig config) throws Exception;
}
