package keel.client.election;

/** {@link LeaderElection#proclaim} by a process that is not (or no longer) the leader. */
public final class NotLeaderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotLeaderException(String message) {
    super(message);
  }
}
