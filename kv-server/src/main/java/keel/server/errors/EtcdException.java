package keel.server.errors;

/**
 * An {@link EtcdError} thrown where a request is refused before it changes anything
 * (validation at the door, checks before a write transaction mutates the store).
 * No stack trace: it is an answer, not a bug.
 */
public final class EtcdException extends RuntimeException {
  private final EtcdError error;

  public EtcdException(EtcdError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public EtcdError error() {
    return error;
  }
}
