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
import keel.server.mvcc.MvccStore;

/**
 * etcd's Cluster service, read side: the members of the initial cluster. Membership changes
 * (add, remove, promote) are not supported yet (see README).
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final ServerConfig config;
  private final Map<String, Long> memberIds;
  private final Supplier<MvccStore> store;
  private final Headers headers;

  public ClusterService(ServerConfig config, Map<String, Long> memberIds, Supplier<MvccStore> store,
      Headers headers) {
    this.config = config;
    this.memberIds = memberIds;
    this.store = store;
    this.headers = headers;
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
    Replies.reply(() -> {
      MemberListResponse.Builder response = MemberListResponse.newBuilder()
          .setHeader(headers.header(store.get().currentRevision()));
      config.initialCluster().forEach((name, peerUrls) -> {
        Member.Builder member = Member.newBuilder()
            .setID(memberIds.get(name))
            .setName(name)
            .addAllPeerURLs(strings(peerUrls));
        if (name.equals(config.name())) {
          member.addAllClientURLs(strings(config.advertiseClientUrls()));
        }
        response.addMembers(member);
      });
      return response.build();
    }, observer);
  }

  private static List<String> strings(List<URI> urls) {
    return urls.stream().map(URI::toString).toList();
  }
}
