package keel.client.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.util.Objects;

/**
 * Who leads an election, as any client can read it: the oldest key (lowest create revision) under
 * {@code <name>/}, as etcd's {@code Election.Leader} and {@code etcdctl elect -l} read it.
 *
 * @param key the leader's key
 * @param value what the leader proclaimed (or campaigned with)
 * @param createRevision when it started leading: its fencing token
 * @param modRevision when it last proclaimed
 * @param leaseId the leader's session lease
 */
public record LeaderInfo(ByteSequence key, ByteSequence value, long createRevision, long modRevision, long leaseId) {
  public LeaderInfo {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }

  static LeaderInfo of(KeyValue kv) {
    return new LeaderInfo(kv.getKey(), kv.getValue(), kv.getCreateRevision(), kv.getModRevision(), kv.getLease());
  }
}
