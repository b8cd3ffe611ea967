package keel.client.session;

import java.util.Objects;

/**
 * Why a {@link Session} ended; reported exactly once, through {@link Session#lost()} and every
 * {@link SessionListener}.
 *
 * @param reason what ended it
 * @param detail a sentence for logs: what was observed and when
 */
public record SessionLost(Reason reason, String detail) {
  public SessionLost {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
  }

  /** The three ways a session ends. */
  public enum Reason {
    /** The cluster said the lease is gone (a keep-alive answered TTL 0 or "lease not found"). */
    EXPIRED,
    /**
     * No keep-alive was confirmed before the lease's last known deadline: the cluster may already
     * have expired the lease (a partition, a paused process, an unreachable cluster). The holder must
     * act as if it had expired.
     */
    UNCONFIRMED,
    /** The owner closed the session (the lease was revoked). */
    CLOSED
  }
}
