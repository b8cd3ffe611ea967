package keel.client.session;

/**
 * A session could not be opened: the cluster could not be reached, refused the lease, or did not
 * answer in time. The message names the endpoints and the cause.
 */
public final class SessionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SessionException(String message, Throwable cause) {
    super(message, cause);
  }
}
