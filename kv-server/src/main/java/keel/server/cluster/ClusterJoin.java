package keel.server.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import keel.server.ServerConfig;
import keel.server.command.ClusterBootstrap;
import keel.server.command.LeaderAnswer;
import keel.server.command.LeaderQuery;
import keel.server.command.MemberRecord;
import keel.server.raft.MemberIds;
import keel.server.raft.PeerTls;
import keel.server.raft.RatisNode;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a member started with {@code --initial-cluster-state existing} finds out who it is: it asks
 * the members named in its {@code --initial-cluster} (through their peer URLs, as etcd's joining
 * member fetches the cluster from its peers) for the cluster's members, and finds itself among
 * them by its peer URLs, which {@code etcdctl member add} recorded. It then knows the cluster's
 * id, its own member id and its Ratis peer id, and starts as a member without a configuration of
 * its own: the leader adds it to Raft's ({@link RaftMembership}) and sends it the log or a snapshot.
 */
public final class ClusterJoin {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterJoin.class);
  /** How long a joining member keeps asking before it gives up, as etcd's does after its retries. */
  static final long DISCOVERY_MILLIS = 30_000;
  private static final long RETRY_MILLIS = 200;
  /** How long {@link #lookup} keeps asking a member that accepts connections (its Raft may be starting). */
  private static final long LOOKUP_MILLIS = 3_000;

  private ClusterJoin() {}

  /**
   * What a joining member learned: who it is, and the Raft configuration to start with. A voting
   * member starts with none (the leader brings it in, Ratis's staging); a learner starts as a
   * listener of the voters, because Ratis 3.2.2 serves a listener that started outside any
   * configuration nothing, ever (it stays "starting").
   */
  public record Joined(MemberIdentity identity, List<RaftPeer> initialPeers) {}

  public static Joined discover(ServerConfig config) throws IOException {
    List<URI> own = config.peerUrls();
    List<RaftPeer> peers = others(config);
    if (peers.isEmpty()) {
      throw new IOException("--initial-cluster-state existing needs the cluster's other members in --initial-cluster"
          + " (the line `etcdctl member add` printed), but it names only " + config.name());
    }
    ClusterBootstrap cluster = ask(config, peers);
    Optional<MemberRecord> self = cluster.getMembersList().stream()
        .filter(m -> own.stream().map(URI::toString).anyMatch(m.getPeerUrlsList()::contains))
        .findFirst();
    if (self.isEmpty()) {
      throw new IOException("member " + config.name() + " with peer URLs " + own + " is not a member of cluster "
          + MemberIds.hex(cluster.getClusterId()) + " (its members' peer URLs: " + peerUrls(cluster)
          + "); add it first with `etcdctl member add " + config.name() + " --peer-urls=" + own.get(0) + "`");
    }
    MemberIdentity identity = new MemberIdentity(cluster.getClusterId(), self.get().getId(), self.get().getRaftPeer());
    LOG.info("{}: joining cluster {} as {} {} (Raft peer {})", config.name(), MemberIds.hex(identity.clusterId()),
        self.get().getLearner() ? "learner" : "member", MemberIds.hex(identity.memberId()), identity.raftPeer());
    List<RaftPeer> initialPeers = new ArrayList<>();
    if (self.get().getLearner()) {
      for (MemberRecord member : cluster.getMembersList()) {
        RaftPeer peer = MemberRecords.raftPeer(member);
        if (member.getId() == identity.memberId()) {
          initialPeers.add(RaftPeer.newBuilder(peer).setStartupRole(RaftPeerRole.LISTENER).build());
        } else if (!member.getLearner()) {
          initialPeers.add(peer);
        }
      }
    }
    return new Joined(identity, initialPeers);
  }

  private static ClusterBootstrap ask(ServerConfig config, List<RaftPeer> peers) throws IOException {
    try (RaftClient client = client(config, peers, 3, DISCOVERY_MILLIS)) {
      RaftClientReply reply = client.io().sendReadOnly(clusterQuery());
      if (!reply.isSuccess()) {
        throw reply.getException();
      }
      LeaderAnswer answer = LeaderAnswer.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
      if (!answer.hasCluster() || answer.getCluster().getClusterId() == 0) {
        throw new IOException("the cluster answered without its members (" + answer.getError() + ")");
      }
      return answer.getCluster();
    } catch (IOException e) {
      throw new IOException("cannot fetch cluster info from peer urls " + peerUrls(config.initialCluster(), config.name())
          + ": could not retrieve cluster information from the given URLs (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The cluster that the other members named in {@code config}'s {@code --initial-cluster} already
   * formed, if one of them knows it: each member that accepts a connection on its peer URL is asked
   * for the members it has applied (any member answers, leader or not, so a cluster without a
   * leader is still found). Empty when none of them has one, as when a new cluster starts and
   * the others are not up yet or have not formed it. For a node that finds its data dir empty:
   * did it belong to a cluster before?
   */
  public static Optional<ClusterBootstrap> lookup(ServerConfig config) {
    List<RaftPeer> peers = others(config);
    try (RaftClient client = client(config, peers, 2, LOOKUP_MILLIS)) {
      for (RaftPeer peer : peers) {
        if (!RaftMembership.listening(peer.getAddress())) {
          continue;
        }
        try {
          RaftClientReply reply = client.io().sendStaleRead(clusterQuery(), 0, peer.getId());
          if (reply.isSuccess()) {
            LeaderAnswer answer = LeaderAnswer.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
            if (answer.hasCluster() && answer.getCluster().getClusterId() != 0) {
              return Optional.of(answer.getCluster());
            }
          }
        } catch (IOException e) {
          LOG.info("{}: peer {} did not say whether it belongs to a cluster: {}", config.name(), peer.getAddress(),
              e.toString());
        }
      }
    } catch (IOException e) {
      LOG.warn("{}: asking the other members for their cluster failed: {}", config.name(), e.toString());
    }
    return Optional.empty();
  }

  /**
   * The members {@code --initial-cluster} names besides this one, as Ratis peers to ask at their
   * first peer URL. Their peer ids only address them here (a Ratis server checks the group of a
   * client's request, not the peer id), so members added later, whose ids differ, are reached too.
   */
  private static List<RaftPeer> others(ServerConfig config) {
    List<RaftPeer> peers = new ArrayList<>();
    config.initialCluster().forEach((name, urls) -> {
      if (!name.equals(config.name())) {
        peers.add(RatisNode.peer(MemberIds.raftPeer(urls.get(0)), urls.get(0)));
      }
    });
    return peers;
  }

  /** A Ratis client of {@code peers}: each request waits {@code timeoutSeconds}, retried for {@code patienceMillis}. */
  private static RaftClient client(ServerConfig config, List<RaftPeer> peers, int timeoutSeconds, long patienceMillis) {
    RaftProperties properties = new RaftProperties();
    RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
    RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(timeoutSeconds, TimeUnit.SECONDS));
    Parameters parameters;
    try {
      parameters = PeerTls.parameters(config); // the peer port's TLS, as the member's own Raft server
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return RaftClient.newBuilder()
        .setProperties(properties)
        .setParameters(parameters)
        .setClientId(ClientId.randomId())
        .setRaftGroup(RaftGroup.valueOf(RatisNode.groupId(config.initialClusterToken()), peers))
        .setRetryPolicy(untilRefusedByTls(peers.size(), RetryPolicies.retryUpToMaximumCountWithFixedSleep(
            (int) (patienceMillis / RETRY_MILLIS), TimeDuration.valueOf(RETRY_MILLIS, TimeUnit.MILLISECONDS))))
        .build();
  }

  /**
   * {@code patient}, but no more tries once the members refused this one's certificate (or this one
   * theirs) as many times as there are members to ask: a certificate does not change while a
   * member starts, and etcd gives up at once when the peers refuse its TLS.
   */
  private static RetryPolicy untilRefusedByTls(int members, RetryPolicy patient) {
    AtomicInteger refusals = new AtomicInteger();
    return new RetryPolicy() {
      @Override
      public Action handleAttemptFailure(Event event) {
        if (refusedByTls(event.getCause()) && refusals.incrementAndGet() >= members) {
          LOG.warn("the members refused this member's TLS: {}", event.getCause().toString());
          return RetryPolicy.NO_RETRY_ACTION;
        }
        return patient.handleAttemptFailure(event);
      }

      @Override
      public String toString() {
        return patient + ", none once the members refused this member's TLS";
      }
    };
  }

  private static boolean refusedByTls(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return true;
      }
    }
    return false;
  }

  /** The members the asked member has applied ({@code LeaderQuery.cluster}). */
  private static Message clusterQuery() {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(LeaderQuery.newBuilder().setCluster(true).build().toByteArray()));
  }

  private static List<String> peerUrls(ClusterBootstrap cluster) {
    return cluster.getMembersList().stream().flatMap(m -> m.getPeerUrlsList().stream()).toList();
  }

  private static List<String> peerUrls(Map<String, List<URI>> cluster, String self) {
    return cluster.entrySet().stream().filter(e -> !e.getKey().equals(self))
        .flatMap(e -> e.getValue().stream()).map(URI::toString).toList();
  }
}
