package keel.torture.history;

/**
 * One line of a history: an invocation or its completion, as Jepsen records them.
 *
 * @param index position in the history (0, 1, 2, ...)
 * @param nanos {@link System#nanoTime()} when it happened (monotonic; one JVM records a history)
 * @param process the client that did it; a client runs one operation at a time
 * @param type invoke, or how it ended
 * @param op the operation (the same on the invocation and its completion)
 * @param result {@code null} on an invocation
 */
public record Event(long index, long nanos, int process, Type type, Op op, Result result) {
  /** Jepsen's four: INVOKE, then exactly one of OK, FAIL or INFO (or nothing if the run ended). */
  public enum Type {
    INVOKE,
    /** It happened, with this result. */
    OK,
    /** It certainly did not happen (e.g. a compare failed before Raft, an etcd error). */
    FAIL,
    /** Unknown whether it happened (a timeout, a lost connection): it may take effect any time later. */
    INFO
  }
}
