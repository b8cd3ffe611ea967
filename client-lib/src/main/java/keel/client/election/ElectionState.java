package keel.client.election;

import io.etcd.jetcd.ByteSequence;
import java.util.concurrent.CompletableFuture;
import keel.client.session.SessionLost;

/**
 * A {@link LeaderElection}'s state and its moves, without I/O and without a lock of its own: the
 * election makes the moves under its lock and does the writes, watches, logging and telling around
 * them.
 *
 * <pre>
 *   IDLE        --begin-------------------> CAMPAIGNING   (campaign)
 *   CAMPAIGNING --created, elect----------> LEADER        (the keys ahead are gone)
 *   CAMPAIGNING --fail--------------------> IDLE          (the create or its proclaim failed)
 *   CAMPAIGNING, LEADER --end(IDLE)-------> IDLE          (resigned, or the own key is gone)
 *   IDLE, CAMPAIGNING, LEADER --lose------> LOST          (the session was lost: no campaign after)
 *   IDLE, CAMPAIGNING, LEADER, LOST --end(CLOSED)--> CLOSED
 * </pre>
 *
 * <p>Every {@code begin} and every {@code end} starts a new attempt number. A campaign's callbacks carry
 * the number of their attempt, and one that no longer matches is ignored: a create answered after a
 * resign, the wait of a campaign that ended, the own-key watch of a leadership that ended.
 */
final class ElectionState {
  enum Phase { IDLE, CAMPAIGNING, LEADER, LOST, CLOSED }

  /**
   * What {@link #end} took away, to tell outside the lock.
   *
   * @param deposed the leadership, if leading (else null)
   * @param campaign the pending campaign, if campaigning (else null)
   * @param ownKey the own key's create revision, if campaigning or leading and the create answered
   *     (else 0): the key to delete on a resign
   */
  record Ended(Leadership deposed, CompletableFuture<Leadership> campaign, long ownKey) {}

  private Phase phase = Phase.IDLE;
  private long attempt;
  private CompletableFuture<Leadership> campaign; // while CAMPAIGNING
  private Leadership leadership; // while LEADER
  private long myRevision; // the own key's create revision in this attempt; 0 before the create answered
  private SessionLost sessionLost; // once LOST (and CLOSED after it)

  Phase phase() {
    return phase;
  }

  long attempt() {
    return attempt;
  }

  /** The pending campaign while campaigning. */
  CompletableFuture<Leadership> campaign() {
    return campaign;
  }

  /** The leadership while leading. */
  Leadership leadership() {
    return leadership;
  }

  /** Why the session ended, once lost. */
  SessionLost sessionLost() {
    return sessionLost;
  }

  /** IDLE to CAMPAIGNING: a new attempt with a new pending {@link #campaign()}; returns its number. */
  long begin() {
    phase = Phase.CAMPAIGNING;
    myRevision = 0;
    campaign = new CompletableFuture<>();
    return ++attempt;
  }

  /** Whether attempt {@code a} is the campaign going on. */
  boolean isCampaigning(long a) {
    return a == attempt && phase == Phase.CAMPAIGNING;
  }

  /** The campaign's create answered: its key has create revision {@code revision}. */
  void created(long revision) {
    myRevision = revision;
  }

  /** CAMPAIGNING to LEADER; returns the campaign to complete with the new {@link #leadership()}. */
  CompletableFuture<Leadership> elect(ByteSequence key, long leaseId) {
    CompletableFuture<Leadership> pending = campaign;
    phase = Phase.LEADER;
    leadership = new Leadership(key, myRevision, leaseId);
    campaign = null;
    return pending;
  }

  /** CAMPAIGNING to IDLE after a failure; returns the campaign to fail. Same attempt: nothing else runs. */
  CompletableFuture<Leadership> fail() {
    CompletableFuture<Leadership> failed = campaign;
    campaign = null;
    phase = Phase.IDLE;
    return failed;
  }

  /** To LOST: the session is gone, and with it the leadership or campaign. */
  Ended lose(SessionLost lost) {
    sessionLost = lost;
    return end(Phase.LOST);
  }

  /** To {@code next} (IDLE, LOST or CLOSED): drops the leadership and the campaign, ends the attempt. */
  Ended end(Phase next) {
    boolean holdsKey = phase == Phase.LEADER || phase == Phase.CAMPAIGNING;
    Ended ended = new Ended(phase == Phase.LEADER ? leadership : null, campaign, holdsKey ? myRevision : 0);
    campaign = null;
    leadership = null;
    phase = next;
    attempt++;
    return ended;
  }

  /** For logs and errors: "idle", "leader, token 42", ... */
  String describe(boolean sessionAlive) {
    return switch (phase) {
      case IDLE -> "idle";
      case CAMPAIGNING -> "campaigning";
      case LEADER -> sessionAlive ? "leader, token " + leadership.fencingToken() : "leader, session unconfirmed";
      case LOST -> "session lost";
      case CLOSED -> "closed";
    };
  }
}
