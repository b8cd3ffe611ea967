package keel.server.command;

/**
 * Told about every proposal this member makes, for etcd's {@code etcd_server_proposals_pending}
 * and {@code etcd_server_proposals_failed_total}. Called on whatever thread proposes or completes
 * the proposal: implementations are thread-safe and never block.
 */
public interface ProposalObserver {
  /** Observes nothing. */
  ProposalObserver NONE = new ProposalObserver() {
    @Override
    public void proposed() {}

    @Override
    public void finished(Object reply, Throwable failure) {}
  };

  /** A command was handed to Raft (one over the size limit never gets this far, as in etcd). */
  void proposed();

  /**
   * The proposal came back from Raft. {@code failure} is non-null for a Raft-level failure
   * (timeout, no leader, back-pressure); a command that was applied and answered with an etcd
   * error (say, an unknown lease) is a successful proposal, as in etcd.
   */
  void finished(Object reply, Throwable failure);
}
