package keel.server.api.grpc;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import keel.server.ServerConfig;
import keel.server.statemachine.Members;

/**
 * etcd's Cluster service, read side: the members of the initial cluster, with the client URLs
 * each published through the log. Membership changes
 * (add, remove, promote) are not supported yet (see README).
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final ServerConfig config;
  private final Map<String, Long> memberIds;
  private final Supplier<Members> published;
  private final Headers headers;

  public ClusterService(ServerConfig config, Map<String, Long> memberIds,
      Supplier<Members> published, Headers headers) {
    this.config = config;
    this.memberIds = memberIds;
    this.published = published;
    this.headers = headers;
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
    Replies.reply(() -> {
      // etcd's ClusterServer header carries no revision (cluster_id, member_id, raft_term only)
      MemberListResponse.Builder response = MemberListResponse.newBuilder()
          .setHeader(headers.header(0));
      config.initialCluster().forEach((name, peerUrls) -> {
        Member.Builder member = Member.newBuilder()
            .setID(memberIds.get(name))
            .setName(name)
            .addAllPeerURLs(strings(peerUrls));
        // Like etcd: a member that has not published itself yet is listed without client URLs.
        member.addAllClientURLs(published.get().clientUrls(name));
        response.addMembers(member);
      });
      return response.build();
    }, observer);
  }

  private static List<String> strings(List<URI> urls) {
    return urls.stream().map(URI::toString).toList();
  }
}
