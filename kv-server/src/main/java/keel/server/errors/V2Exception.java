package keel.server.errors;

/**
 * A {@link V2Error} with etcd's {@code cause} (a key, or a compare text such as
 * {@code [9 != 2]}) and the index etcd reports with it (the store's current index for store
 * errors, 0 for request errors). No stack trace: it is an answer, not a bug.
 */
public final class V2Exception extends RuntimeException {
  private final V2Error error;
  private final String cause;
  private final long index;

  public V2Exception(V2Error error, String cause, long index) {
    super(error.message() + " (" + (cause == null ? "" : cause) + ")", null, false, false);
    this.error = error;
    this.cause = cause == null ? "" : cause;
    this.index = index;
  }

  public V2Error error() {
    return error;
  }

  /** etcd's {@code cause}; empty means absent (omitted from the JSON body). */
  public String errorCause() {
    return cause;
  }

  /** The index in the body and in X-Etcd-Index. */
  public long index() {
    return index;
  }

  public V2Exception withIndex(long newIndex) {
    return new V2Exception(error, cause, newIndex);
  }
}
