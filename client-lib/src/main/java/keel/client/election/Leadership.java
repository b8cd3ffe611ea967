package keel.client.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import java.util.Objects;

/**
 * This process's term as leader.
 *
 * @param key the leader key, {@code <name>/<lease hex>}
 * @param fencingToken the key's create revision: it grows with every new leader, so a resource
 *     that remembers the highest token it has seen can refuse a deposed leader's late writes
 * @param leaseId the session's lease the key lives under
 */
public record Leadership(ByteSequence key, long fencingToken, long leaseId) {
  public Leadership {
    Objects.requireNonNull(key, "key");
  }

  /**
   * The guard for a transaction that must only apply while this leadership holds: the leader key
   * still exists with the same create revision. {@code kv.txn().If(l.stillLeader()).Then(...)}.
   */
  public Cmp stillLeader() {
    return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(fencingToken));
  }
}
