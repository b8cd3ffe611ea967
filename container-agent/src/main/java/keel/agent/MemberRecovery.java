package keel.agent;

import io.etcd.jetcd.Client;
import keel.client.connect.EtcdConnection;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.cluster.MemberAddResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import keel.server.ServerConfig;
import keel.server.cluster.ClusterJoin;
import keel.server.cluster.MemberIdentity;
import keel.server.cluster.RaftMembership;
import keel.server.command.ClusterBootstrap;
import keel.server.command.MemberRecord;
import keel.server.raft.MemberIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent does before it starts its node's member, so that a node whose data is gone (a
 * container recreated from its image) heals without an operator: etcd's procedure for a member
 * that lost its disk, done by the node itself. A member must never come back with an empty log
 * under its old identity (it may have acknowledged entries or voted, and would forget both), so:
 *
 * <ol>
 *   <li>Nothing to do unless this node starts a new cluster ({@code --initial-cluster-state new})
 *       with an empty data dir, and another member of its {@code --initial-cluster} already
 *       belongs to a cluster ({@link ClusterJoin#lookup}).</li>
 *   <li>The cluster lists this node (by its peer URLs) and the member never started (it never
 *       published its client URLs): it is a founder starting late, or a member added by an
 *       earlier recovery that stopped before it started; it starts as that member.</li>
 *   <li>Otherwise this node ran as that member and lost its data: the old member is removed and
 *       this node added back as a new member (a new id), then it joins as a member added by
 *       {@code etcdctl member add} joins. If the cluster no longer lists it (an earlier recovery
 *       stopped after the remove), only the add.</li>
 * </ol>
 *
 * The member removed is this node's own, whose data is gone, and only while nothing answers at
 * its peer URL: a member that is only slow keeps its data and is never touched. The removal and
 * the add go through the members' Cluster service, which refuses, with etcd's checks, a change
 * that would leave the cluster without a quorum of started members; the agent then fails to
 * start with that error (the container is restarted and tries again) rather than force it.
 * Not covered: a node that lost its data while every other member was down too starts as a
 * founder of the cluster it knew, as etcd would with the same flags.
 */
public final class MemberRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(MemberRecovery.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

  private MemberRecovery() {}

  /** The configuration this node's member starts with: {@code config}, or one that joins as a new member. */
  public static ServerConfig prepare(ServerConfig config, EtcdConnection connection) throws IOException {
    if (config.initialClusterState() != ServerConfig.ClusterState.NEW || hasMemberData(config.dataDir())
        || config.initialCluster().size() < 2) {
      return config;
    }
    Optional<ClusterBootstrap> found = ClusterJoin.lookup(config);
    if (found.isEmpty()) {
      return config;
    }
    Plan plan = plan(config, found.get());
    if (plan instanceof Plan.AsConfigured) {
      return config;
    }
    if (plan instanceof Plan.JoinAsAdded join) {
      LOG.info("{}: joining cluster {} as member {}, added before this node started", config.name(),
          MemberIds.hex(found.get().getClusterId()), MemberIds.hex(join.member()));
      return config.joining(join.cluster());
    }
    return rejoin(config, connection, found.get(), ((Plan.Rejoin) plan).old());
  }

  /** What a node with an empty data dir does, given the cluster its peers formed. */
  sealed interface Plan {
    /** Start as configured: a founder that never started. */
    record AsConfigured() implements Plan {}

    /** Join as {@code member}, which an earlier recovery added and which never started. */
    record JoinAsAdded(long member, Map<String, List<URI>> cluster) implements Plan {}

    /** Remove {@code old} (this node's member that lost its data; none: already removed), add this node back, join. */
    record Rejoin(Optional<MemberRecord> old) implements Plan {}
  }

  static Plan plan(ServerConfig config, ClusterBootstrap cluster) {
    Optional<MemberRecord> old = cluster.getMembersList().stream().filter(m -> isThisNode(m, config)).findFirst();
    if (old.isPresent() && old.get().getClientUrlsList().isEmpty()) {
      // never started (a member publishes its client URLs when it does)
      if (old.get().getId() == MemberIds.memberId(config.peerUrls(), config.initialClusterToken())) {
        return new Plan.AsConfigured();
      }
      return new Plan.JoinAsAdded(old.get().getId(), initialCluster(cluster.getMembersList(), config));
    }
    return new Plan.Rejoin(old);
  }

  private static ServerConfig rejoin(ServerConfig config, EtcdConnection connection, ClusterBootstrap cluster,
      Optional<MemberRecord> old)
      throws IOException {
    String peerAddress = config.peerUrls().get(0).getHost() + ":" + config.peerUrls().get(0).getPort();
    if (RaftMembership.listening(peerAddress)) {
      throw new IOException("this node's data dir " + config.dataDir() + " is empty but something already answers at"
          + " its peer URL " + peerAddress + ": is its member running elsewhere? Not removing it");
    }
    URI[] endpoints = cluster.getMembersList().stream()
        .filter(m -> old.isEmpty() || m.getId() != old.get().getId())
        .flatMap(m -> m.getClientUrlsList().stream()).map(URI::create).toArray(URI[]::new);
    if (endpoints.length == 0) {
      throw new IOException("no other member of cluster " + MemberIds.hex(cluster.getClusterId())
          + " has published a client URL: cannot add this node back");
    }
    try (Client client = connection.withEndpoints(List.of(endpoints)).connect()) {
      if (old.isPresent()) {
        LOG.warn("{}: the data dir {} is empty but cluster {} knows this node as member {}, which ran here: removing"
            + " it and adding this node back as a new member", config.name(), config.dataDir(),
            MemberIds.hex(cluster.getClusterId()), MemberIds.hex(old.get().getId()));
        await(client.getClusterClient().removeMember(old.get().getId()), "removing the old member "
            + MemberIds.hex(old.get().getId()));
      }
      MemberAddResponse added = await(client.getClusterClient().addMember(config.peerUrls()),
          "adding this node back as a new member");
      LOG.info("{}: added to cluster {} as member {}; joining it", config.name(),
          MemberIds.hex(cluster.getClusterId()), MemberIds.hex(added.getMember().getId()));
      List<MemberRecord> members = new ArrayList<>();
      for (Member m : added.getMembers()) {
        members.add(MemberRecord.newBuilder().setId(m.getId()).setName(m.getName())
            .addAllPeerUrls(m.getPeerURIs().stream().map(URI::toString).toList()).build());
      }
      return config.joining(initialCluster(members, config));
    }
  }

  /** What {@code etcdctl member add} prints as the new member's --initial-cluster. */
  private static Map<String, List<URI>> initialCluster(List<MemberRecord> members, ServerConfig config) {
    Map<String, List<URI>> initial = new LinkedHashMap<>();
    for (MemberRecord m : members) {
      String name = isThisNode(m, config) ? config.name()
          : m.getName().isEmpty() ? MemberIds.hex(m.getId()) : m.getName();
      initial.put(name, m.getPeerUrlsList().stream().map(URI::create).toList());
    }
    return initial;
  }

  private static boolean isThisNode(MemberRecord member, ServerConfig config) {
    return config.peerUrls().stream().map(URI::toString).anyMatch(member.getPeerUrlsList()::contains);
  }

  /** Whether the data dir holds a member's state (its identity or its Raft log). */
  static boolean hasMemberData(Path dataDir) throws IOException {
    return MemberIdentity.load(dataDir).isPresent() || Files.exists(dataDir.resolve("raft"));
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> call, String what) throws IOException {
    try {
      return call.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IOException(what + " failed: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException(what + " got no answer within " + CALL_TIMEOUT.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(what + " was interrupted", e);
    }
  }
}
