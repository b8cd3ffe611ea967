package keel.client.session;

import java.util.Objects;

/**
 * A recipe gave up because its {@link Session} was lost or closed (a campaign or a lock wait that
 * can no longer succeed). {@link #lost()} says why; open a new session to try again.
 */
public final class SessionLostException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient SessionLost lost;

  public SessionLostException(String what, SessionLost lost) {
    super(what + ": the session was lost (" + lost.reason() + ": " + lost.detail() + ")");
    this.lost = Objects.requireNonNull(lost, "lost");
  }

  public SessionLost lost() {
    return lost;
  }
}
