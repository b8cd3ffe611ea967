package keel.server.api.grpc;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberRemoveResponse;
import io.etcd.jetcd.api.MemberUpdateRequest;
import io.etcd.jetcd.api.MemberUpdateResponse;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import keel.server.api.grpc.cluster.MemberPromoteRequest;
import keel.server.api.grpc.cluster.MemberPromoteResponse;
import keel.server.cluster.ClusterView;
import keel.server.cluster.PeerUrls;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.command.LeaderAnswer;
import keel.server.command.LeaderQuery;
import keel.server.command.MemberChange;
import keel.server.command.MemberRecord;
import keel.server.command.MembershipResult;
import keel.server.command.Proposer;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.raft.MemberIds;

/**
 * etcd's Cluster service. MemberList answers the membership as this member applied it; Add,
 * Remove, Update and Promote are entries of the log (applied alike on every member, refused alike
 * with etcd's errors), and Raft's configuration follows them ({@code RaftMembership}).
 *
 * <p>Before proposing, the checks etcd makes with {@code --strict-reconfig-check} (its default):
 * a voting member is added only while enough members are started (have published their name) for
 * the larger cluster's quorum and the leader has heard from every voting member lately; a voting
 * member is removed only if enough started and active members remain; a learner is promoted only
 * once its log matches at least 90% of the leader's (asked of the leader, which alone knows).
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final ClusterView cluster;
  private final Proposer proposer;
  private final Headers headers;
  private final Clock clock;

  public ClusterService(ClusterView cluster, Proposer proposer, Headers headers, Clock clock) {
    this.cluster = cluster;
    this.proposer = proposer;
    this.headers = headers;
    this.clock = clock;
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
    // etcd's ClusterServer header carries no revision (cluster_id, member_id, raft_term only)
    Replies.reply(() -> MemberListResponse.newBuilder()
        .setHeader(headers.header(0))
        .addAllMembers(members(cluster.members()))
        .build(), observer);
  }

  @Override
  public void memberAdd(MemberAddRequest request, StreamObserver<MemberAddResponse> observer) {
    Replies.reply(add(request), observer);
  }

  @Override
  public void memberRemove(MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> observer) {
    Replies.reply(remove(request.getID()).thenApply(result -> MemberRemoveResponse.newBuilder()
        .setHeader(headers.header(0)).addAllMembers(members(result.getMembersList())).build()), observer);
  }

  @Override
  public void memberUpdate(MemberUpdateRequest request, StreamObserver<MemberUpdateResponse> observer) {
    CompletableFuture<MembershipResult> updated;
    try {
      List<String> urls = PeerUrls.parse(request.getPeerURLsList());
      updated = change(MemberChange.newBuilder().setUpdate(MemberRecord.newBuilder()
          .setId(request.getID()).addAllPeerUrls(urls)).build());
    } catch (EtcdException e) {
      updated = CompletableFuture.failedFuture(e);
    }
    Replies.reply(updated.thenApply(result -> MemberUpdateResponse.newBuilder()
        .setHeader(headers.header(0)).addAllMembers(members(result.getMembersList())).build()), observer);
  }

  /** The generated service with etcd 3.4's MemberPromote added (jetcd's rpc.proto lacks it). */
  public ServerServiceDefinition definition() {
    return MissingMethods.withUnary(bindService(), "MemberPromote", MemberPromoteRequest.getDefaultInstance(),
        MemberPromoteResponse.getDefaultInstance(), this::memberPromote);
  }

  public void memberPromote(MemberPromoteRequest request, StreamObserver<MemberPromoteResponse> observer) {
    Replies.reply(promote(request.getID()).thenApply(result -> MemberPromoteResponse.newBuilder()
        .setHeader(headers.header(0)).addAllMembers(members(result.getMembersList())).build()), observer);
  }

  private CompletableFuture<MemberAddResponse> add(MemberAddRequest request) {
    List<String> urls;
    try {
      // etcd sorts a new member's peer URLs before it derives the id
      urls = PeerUrls.parse(request.getPeerURLsList()).stream().sorted().toList();
    } catch (EtcdException e) {
      return CompletableFuture.failedFuture(e);
    }
    long id = MemberIds.addedMemberId(urls, clock.instant().getEpochSecond());
    MemberRecord member = MemberRecord.newBuilder()
        .setId(id)
        .addAllPeerUrls(urls)
        .setLearner(request.getIsLearner())
        .setRaftPeer(MemberIds.addedRaftPeer(java.net.URI.create(urls.get(0)), id))
        .build();
    CompletableFuture<Void> checked = request.getIsLearner() ? CompletableFuture.completedFuture(null)
        : readyToAddVoter();
    return checked.thenCompose(ok -> change(MemberChange.newBuilder().setAdd(member).build()))
        .thenApply(result -> MemberAddResponse.newBuilder()
            .setHeader(headers.header(0))
            .setMember(Member.newBuilder()
                .setID(member.getId())
                .addAllPeerURLs(member.getPeerUrlsList())
                .setIsLearner(member.getLearner()))
            .addAllMembers(members(result.getMembersList()))
            .build());
  }

  /** etcd's mayAddMember: enough started members for the new quorum, and every voting member active. */
  private CompletableFuture<Void> readyToAddVoter() {
    List<MemberRecord> voters = voters();
    long started = voters.stream().filter(ClusterService::started).count();
    int members = voters.size() + 1;
    boolean restoring = started == 1 && members == 2; // etcd: growing a one-member cluster
    if (!restoring && started < members / 2 + 1) {
      return CompletableFuture.failedFuture(new EtcdException(EtcdError.MEMBER_NOT_ENOUGH_STARTED));
    }
    return activePeers().thenAccept(active -> {
      if (!voters.stream().allMatch(m -> active.contains(m.getRaftPeer()))) {
        throw new EtcdException(EtcdError.UNHEALTHY);
      }
    });
  }

  private CompletableFuture<MembershipResult> remove(long id) {
    MemberRecord target = cluster.member(id).orElse(null);
    if (target != null && target.getLearner()) {
      return change(MemberChange.newBuilder().setRemove(id).build());
    }
    List<MemberRecord> remaining = voters().stream().filter(m -> m.getId() != id).toList();
    long started = remaining.stream().filter(ClusterService::started).count();
    if (started < remaining.size() / 2 + 1) {
      return CompletableFuture.failedFuture(new EtcdException(EtcdError.MEMBER_NOT_ENOUGH_STARTED));
    }
    return activePeers().thenCompose(active -> {
      boolean targetActive = target != null && active.contains(target.getRaftPeer());
      if (id != cluster.memberId() && !targetActive) {
        return change(MemberChange.newBuilder().setRemove(id).build()); // a member that is down is safe to remove
      }
      List<MemberRecord> voters = voters();
      long activeVoters = voters.stream().filter(m -> active.contains(m.getRaftPeer())).count();
      if (activeVoters - 1 < 1 + (voters.size() - 1) / 2) {
        throw new EtcdException(EtcdError.UNHEALTHY);
      }
      return change(MemberChange.newBuilder().setRemove(id).build());
    });
  }

  private CompletableFuture<MembershipResult> promote(long id) {
    return askLeader(LeaderQuery.newBuilder().setLearnerReady(id).build()).thenCompose(answer -> {
      if (!answer.getLearnerReady()) {
        throw new EtcdException(EtcdError.LEARNER_NOT_READY);
      }
      List<MemberRecord> voters = voters();
      long started = 1 + voters.stream().filter(ClusterService::started).count();
      if (started < (voters.size() + 1) / 2 + 1) {
        throw new EtcdException(EtcdError.MEMBER_NOT_ENOUGH_STARTED);
      }
      return change(MemberChange.newBuilder().setPromote(id).build());
    });
  }

  private CompletableFuture<MembershipResult> change(MemberChange change) {
    return proposer.propose(Command.newBuilder().setMemberChange(change).build())
        .thenApply(CommandResult::getMembership);
  }

  private CompletableFuture<Set<String>> activePeers() {
    return askLeader(LeaderQuery.newBuilder().setActivePeers(true).build())
        .thenApply(answer -> Set.copyOf(answer.getActivePeers().getRaftPeersList()));
  }

  private CompletableFuture<LeaderAnswer> askLeader(LeaderQuery query) {
    return LeaderQueries.ask(cluster.node(), query);
  }

  private List<MemberRecord> voters() {
    return cluster.members().stream().filter(m -> !m.getLearner()).toList();
  }

  /** etcd's IsStarted: a member that has published its name. */
  private static boolean started(MemberRecord member) {
    return !member.getName().isEmpty();
  }

  static List<Member> members(List<MemberRecord> records) {
    return records.stream().map(m -> Member.newBuilder()
        .setID(m.getId())
        .setName(m.getName())
        .addAllPeerURLs(m.getPeerUrlsList())
        .addAllClientURLs(m.getClientUrlsList())
        .setIsLearner(m.getLearner())
        .build()).toList();
  }
}
