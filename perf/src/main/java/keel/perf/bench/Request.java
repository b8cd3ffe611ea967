package keel.perf.bench;

import java.util.concurrent.CompletableFuture;

/**
 * One request a closed-loop client has sent: the operation it counts under ({@code put},
 * {@code range}, ...) and its answer. {@code operation} is null when the workload measures its own
 * latencies (watch-latency records one per event) and the loop only paces and bounds the requests.
 */
record Request(String operation, CompletableFuture<?> answer) {
  static Request unmeasured(CompletableFuture<?> answer) {
    return new Request(null, answer);
  }

  boolean measured() {
    return operation != null;
  }
}
