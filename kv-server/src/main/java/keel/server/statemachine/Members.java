package keel.server.statemachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import keel.server.command.ClusterBootstrap;
import keel.server.command.MemberAttributes;
import keel.server.command.MemberRecord;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * The cluster's membership as the log made it (etcd's {@code membership.RaftCluster}): who the
 * members are, their peer and client URLs, which are learners, and the ids removed for good.
 * Every member applies the same commands in the same order, so every member holds the same.
 *
 * <p>Empty until the founding members' {@link ClusterBootstrap} is applied. Written on the apply
 * thread, read by the client services: concurrent collections, each member record immutable.
 *
 * <p>A change refused here is refused alike by every member, with etcd's error. What only the
 * member serving the request can judge (are enough members started, has a learner caught up) is
 * checked before the change is proposed ({@code ClusterService}).
 */
public final class Members {
  /** etcd 3.4 allows one learner at a time ({@code maxLearners}). */
  static final int MAX_LEARNERS = 1;

  private final ConcurrentSkipListMap<Long, MemberRecord> members = new ConcurrentSkipListMap<>(Long::compareUnsigned);
  private final Set<Long> removed = new ConcurrentSkipListSet<>(Long::compareUnsigned);
  private volatile long clusterId;
  /** Counts the changes applied to this membership, so the state machine can tell when to report one. */
  private volatile long version;

  /** The founding members, once; a later bootstrap (another founder's copy) changes nothing. */
  void bootstrap(ClusterBootstrap bootstrap) {
    if (isBootstrapped()) {
      return;
    }
    for (MemberRecord member : bootstrap.getMembersList()) {
      // the bootstrap entry carries the founders as the flags name them; each publishes itself
      members.put(member.getId(), member);
    }
    clusterId = bootstrap.getClusterId();
    version++;
  }

  long version() {
    return version;
  }

  public boolean isBootstrapped() {
    return clusterId != 0;
  }

  public long clusterId() {
    return clusterId;
  }

  /** Every member, in etcd's order (by id, unsigned). */
  public List<MemberRecord> list() {
    return List.copyOf(members.values());
  }

  public Optional<MemberRecord> byId(long id) {
    return Optional.ofNullable(members.get(id));
  }

  /** The member whose Ratis peer id this is. */
  public Optional<MemberRecord> byRaftPeer(String raftPeer) {
    return members.values().stream().filter(m -> m.getRaftPeer().equals(raftPeer)).findFirst();
  }

  /** The member with this name (a member of a Keel before membership changes published by name). */
  public Optional<MemberRecord> byName(String name) {
    return members.values().stream().filter(m -> m.getName().equals(name)).findFirst();
  }

  public boolean wasRemoved(long id) {
    return removed.contains(id);
  }

  /** etcd's publish: a running member's name and client URLs. Ignored from a removed member. */
  void publish(MemberAttributes attributes) {
    Optional<MemberRecord> member = attributes.getId() != 0
        ? byId(attributes.getId()) : byName(attributes.getName());
    member.ifPresent(m -> members.put(m.getId(), m.toBuilder()
        .setName(attributes.getName())
        .clearClientUrls().addAllClientUrls(attributes.getClientUrlsList())
        .build()));
    version++;
  }

  MemberRecord add(MemberRecord member) {
    if (wasRemoved(member.getId())) {
      throw new EtcdException(EtcdError.MEMBER_NOT_FOUND); // etcd: membership.ErrIDRemoved
    }
    if (members.containsKey(member.getId())) {
      throw new EtcdException(EtcdError.MEMBER_EXIST);
    }
    for (MemberRecord other : members.values()) {
      for (String url : member.getPeerUrlsList()) {
        if (other.getPeerUrlsList().contains(url)) {
          throw new EtcdException(EtcdError.PEER_URL_EXIST);
        }
      }
      if (other.getRaftPeer().equals(member.getRaftPeer())) {
        // Two members, one Raft peer: Keel's member add never makes one (an added member's peer id
        // holds its member id); refused rather than confused.
        throw new EtcdException(EtcdError.PEER_URL_EXIST);
      }
    }
    if (member.getLearner() && learners() >= MAX_LEARNERS) {
      throw new EtcdException(EtcdError.TOO_MANY_LEARNERS);
    }
    members.put(member.getId(), member);
    version++;
    return member;
  }

  MemberRecord remove(long id) {
    MemberRecord member = members.remove(id);
    if (member == null) {
      throw new EtcdException(EtcdError.MEMBER_NOT_FOUND);
    }
    removed.add(id);
    version++;
    return member;
  }

  MemberRecord update(long id, List<String> peerUrls) {
    MemberRecord member = existing(id);
    for (MemberRecord other : members.values()) {
      if (other.getId() != id && peerUrls.stream().anyMatch(other.getPeerUrlsList()::contains)) {
        throw new EtcdException(EtcdError.PEER_URL_EXIST);
      }
    }
    MemberRecord updated = member.toBuilder().clearPeerUrls().addAllPeerUrls(peerUrls).build();
    members.put(id, updated);
    version++;
    return updated;
  }

  MemberRecord promote(long id) {
    MemberRecord member = existing(id);
    if (!member.getLearner()) {
      throw new EtcdException(EtcdError.MEMBER_NOT_LEARNER);
    }
    MemberRecord promoted = member.toBuilder().setLearner(false).build();
    members.put(id, promoted);
    version++;
    return promoted;
  }

  private MemberRecord existing(long id) {
    MemberRecord member = members.get(id);
    if (member == null) {
      throw new EtcdException(EtcdError.MEMBER_NOT_FOUND);
    }
    return member;
  }

  private long learners() {
    return members.values().stream().filter(MemberRecord::getLearner).count();
  }

  void writeTo(DataOutputStream out) throws IOException {
    out.writeLong(clusterId);
    List<MemberRecord> all = new ArrayList<>(members.values());
    out.writeInt(all.size());
    for (MemberRecord member : all) {
      byte[] bytes = member.toByteArray();
      out.writeInt(bytes.length);
      out.write(bytes);
    }
    out.writeInt(removed.size());
    for (long id : removed) {
      out.writeLong(id);
    }
  }

  static Members readFrom(DataInputStream in) throws IOException {
    Members read = new Members();
    read.clusterId = in.readLong();
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      MemberRecord member = MemberRecord.parseFrom(bytes);
      read.members.put(member.getId(), member);
    }
    int removedCount = in.readInt();
    for (int i = 0; i < removedCount; i++) {
      read.removed.add(in.readLong());
    }
    return read;
  }
}
