package keel.client.lock;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import java.util.Objects;

/**
 * A held {@link DistributedLock}.
 *
 * @param key the lock key, {@code <name>/<lease hex>}
 * @param fencingToken the key's create revision: it grows with every new holder, so a resource that
 *     remembers the highest token it has seen can refuse a former holder's late writes
 */
public record LockHandle(ByteSequence key, long fencingToken) {
  public LockHandle {
    Objects.requireNonNull(key, "key");
  }

  /** The guard for a transaction that must only apply while this lock is held. */
  public Cmp stillHeld() {
    return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(fencingToken));
  }
}
