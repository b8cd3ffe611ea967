package keel.perf.bench;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Where the load goes and how the run reports: the client URLs, how many gRPC connections carry
 * the clients (connection {@code i} dials endpoint {@code i % endpoints}, as etcd's benchmark tool
 * does), how long to wait for an endpoint before giving up, and the output form.
 */
record Target(List<URI> endpoints, int conns, Duration dialTimeout, boolean json, boolean progress) {
  Target {
    endpoints = List.copyOf(endpoints);
  }
}
