package keel.client.support;

import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Classifies the errors jetcd reports, the same way for Keel and etcd (etcd's error texts). */
public final class EtcdErrors {
  private static final String LEASE_NOT_FOUND = "requested lease not found";

  private EtcdErrors() {}

  /** The cause under {@link CompletionException} / {@link ExecutionException} wrappers. */
  public static Throwable unwrap(Throwable t) {
    Throwable current = t;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  /** etcd's "etcdserver: requested lease not found" (jetcd maps a keep-alive TTL of 0 to it too). */
  public static boolean isLeaseNotFound(Throwable t) {
    Throwable cause = unwrap(t);
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c.getMessage() != null && c.getMessage().contains(LEASE_NOT_FOUND)) {
        return true;
      }
      if (c == c.getCause()) {
        break;
      }
    }
    return cause instanceof EtcdException e
        && e.getErrorCode() == ErrorCode.NOT_FOUND
        && (e.getMessage() == null || e.getMessage().contains("lease"));
  }

  /** A watch cancelled because its start revision was compacted away. */
  public static boolean isCompacted(Throwable t) {
    Throwable cause = unwrap(t);
    return cause instanceof CompactedException
        || (cause.getMessage() != null && cause.getMessage().contains("required revision has been compacted"));
  }

  /** One line for logs: the class and message of the unwrapped cause. */
  public static String describe(Throwable t) {
    Throwable cause = unwrap(t);
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
