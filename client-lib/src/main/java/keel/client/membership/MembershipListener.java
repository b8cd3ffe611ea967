package keel.client.membership;

import io.etcd.jetcd.ByteSequence;
import java.util.SortedMap;

/** Told, on its executor and in order, whenever the set of members or a member's value changes. */
@FunctionalInterface
public interface MembershipListener {
  /** {@code members}: name to value, sorted by name, immutable. */
  void onMembersChanged(SortedMap<String, ByteSequence> members);
}
