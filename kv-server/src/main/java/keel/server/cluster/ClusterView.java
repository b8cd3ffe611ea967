package keel.server.cluster;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import keel.server.command.ClusterBootstrap;
import keel.server.command.MemberRecord;
import keel.server.raft.RatisNode;
import keel.server.statemachine.Members;

/**
 * The cluster as this member serves it to clients: its own ids, the members as the log made
 * them, and which of them leads. Before the founding members' bootstrap entry is applied here,
 * a founding member lists the founders from its own flags, as etcd lists its initial cluster.
 */
public final class ClusterView {
  private final MemberIdentity self;
  private final List<MemberRecord> founders;
  private final Supplier<Members> applied;
  private final RatisNode node;

  /** @param founders the founding members ({@link MemberRecords#founders}); empty on a member that joined */
  public ClusterView(MemberIdentity self, List<MemberRecord> founders, Supplier<Members> applied, RatisNode node) {
    this.self = self;
    this.founders = List.copyOf(founders);
    this.applied = applied;
    this.node = node;
  }

  /** What a founding member proposes so that the log records the cluster it starts with. */
  public ClusterBootstrap bootstrap() {
    return ClusterBootstrap.newBuilder().setClusterId(self.clusterId()).addAllMembers(founders).build();
  }

  public long clusterId() {
    return self.clusterId();
  }

  public long memberId() {
    return self.memberId();
  }

  /** Every member, by id as etcd orders them. */
  public List<MemberRecord> members() {
    Members members = applied.get();
    return members.isBootstrapped() ? members.list() : founders;
  }

  public Optional<MemberRecord> member(long id) {
    return members().stream().filter(m -> m.getId() == id).findFirst();
  }

  /** This member's own record, once it is known here. */
  public Optional<MemberRecord> self() {
    return member(self.memberId());
  }

  /** Whether this member is a learner (etcd refuses most requests on one); asked on every client call. */
  public boolean isLearner() {
    MemberRecord own = applied.get().byId(self.memberId()).orElse(null);
    return own != null && own.getLearner();
  }

  /** The leader's record, if this member knows of a leader and which member it is. */
  public Optional<MemberRecord> leader() {
    String peer = node.leaderPeer();
    return peer == null ? Optional.empty() : members().stream().filter(m -> m.getRaftPeer().equals(peer)).findFirst();
  }

  /** The leader's member id, 0 while there is none (etcd's raft.None). */
  public long leaderId() {
    return leader().map(MemberRecord::getId).orElse(0L);
  }

  /** The Raft layer these members run on. */
  public RatisNode node() {
    return node;
  }
}
