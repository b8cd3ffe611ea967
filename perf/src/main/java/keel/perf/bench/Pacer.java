package keel.perf.bench;

/**
 * The {@code --rate} limit over all clients: request {@code n} is due {@code n / rate} seconds
 * after the start. A client whose next request is not due yet waits (on a timer, not a thread);
 * latency is measured from the actual send, as etcd's benchmark tool does after its rate limiter.
 */
record Pacer(double rate) {
  /** How long to wait before sending request {@code n}, {@code elapsedNanos} after the start. */
  long delayNanos(long n, long elapsedNanos) {
    if (rate <= 0) {
      return 0;
    }
    long due = (long) (n * 1e9 / rate);
    return Math.max(0, due - elapsedNanos);
  }
}
