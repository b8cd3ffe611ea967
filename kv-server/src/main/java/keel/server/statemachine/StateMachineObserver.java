package keel.server.statemachine;

import keel.server.lease.Lessor;

/**
 * What a member's metrics hear from its state machine: each new leader Ratis reports, each lease
 * granted or revoked as the log applies it (on every member, as etcd's lessor counts them), and
 * each snapshot the member saves. Calls come from Ratis's threads, mostly the apply thread, and
 * must return at once.
 */
public interface StateMachineObserver extends Lessor.Listener {
  /** Hears nothing (unit tests, tools). */
  StateMachineObserver NONE = new StateMachineObserver() {
    @Override
    public void leaderChanged() { }

    @Override
    public void snapshotSaved(long nanos) { }

    @Override
    public void granted(long id, long ttl) { }

    @Override
    public void revoked(long id) { }
  };

  /** Ratis reported a new leader (never "no leader"). */
  void leaderChanged();

  /** The member wrote a snapshot of its state to disk, in {@code nanos} nanoseconds. */
  void snapshotSaved(long nanos);
}
