package keel.server;

import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.etcd.jetcd.api.CompactionRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import keel.server.api.ClientListeners;
import keel.server.api.ServeWhenReady;
import keel.server.api.grpc.AuthService;
import keel.server.api.grpc.ClusterService;
import keel.server.api.grpc.ElectionService;
import keel.server.api.grpc.GrpcDoor;
import keel.server.api.grpc.Headers;
import keel.server.api.grpc.KvService;
import keel.server.api.grpc.LeaseService;
import keel.server.api.grpc.LockService;
import keel.server.api.grpc.MaintenanceService;
import keel.server.api.grpc.WatchService;
import keel.server.api.http.HttpRoutes;
import keel.server.api.http.MetricsListener;
import keel.server.api.http.MetricsRoute;
import keel.server.api.http.V2KeysRoutes;
import keel.server.api.http.gateway.GatewayRoutes;
import keel.server.cli.EtcdUrls;
import keel.server.cluster.ClusterJoin;
import keel.server.cluster.ClusterView;
import keel.server.cluster.MemberIdentity;
import keel.server.cluster.MemberRecords;
import keel.server.cluster.RaftMembership;
import keel.server.command.Command;
import keel.server.command.LeaseExpiry;
import keel.server.command.MemberAttributes;
import keel.server.command.MemberRecord;
import keel.server.command.Proposer;
import keel.server.command.SpaceQuota;
import keel.server.command.V2Sync;
import keel.server.command.Validation;
import keel.server.compactor.AutoCompactor;
import keel.server.election.HubWatches;
import keel.server.election.Recipes;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.lease.ExpiryQueue;
import keel.server.lease.LeaderLeases;
import keel.server.lease.Lessor;
import keel.server.metrics.ServerMetrics;
import keel.server.raft.MemberIds;
import keel.server.raft.RaftLogVerifier;
import keel.server.raft.RatisNode;
import keel.server.statemachine.Applier;
import keel.server.statemachine.ForcedRestart;
import keel.server.statemachine.KeelStateMachine;
import keel.server.statemachine.Members;
import keel.server.statemachine.SeededRaftStorage;
import keel.server.statemachine.SnapshotRestore;
import keel.server.v2store.V2ExpirySweep;
import keel.server.v2store.V2Store;
import keel.server.watch.WatchHub;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Keel member: Raft on the peer URL, etcd's gRPC (and later HTTP) on the client URLs.
 * Start with {@link #start(ServerConfig)}; close to stop everything it started.
 */
public final class KeelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

  static {
    GrpcDoor.quietNettyVersionWarning();
  }

  private final ServerConfig config;
  private final long memberId;
  private final long clusterId;
  private final RatisNode node;
  private final KeelStateMachine stateMachine;
  private final Proposer proposer;
  private final WatchHub watchHub;
  private final ServerMetrics metrics;
  /** Test-only broken guarantees ({@link TestBreaks}); {@link TestBreaks#NONE} for every real member. */
  private final TestBreaks breaks;
  /** Runs the election and lock recipes' watch callbacks, off the watch hub's thread. */
  private final java.util.concurrent.ExecutorService recipesExecutor;
  /** Completes v2 watches, off the apply thread. */
  private final java.util.concurrent.ExecutorService v2WatchExecutor;
  private final V2Store v2;
  private final V2ExpirySweep v2Sweep;
  private Server clientServer;
  private Server metricsServer;
  private AutoCompactor autoCompactor;
  private volatile boolean closed;
  /** Completes once this member's publish entry is applied here and it caught up (catchUp): clients are served from then on. */
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final CompletableFuture<Void> removed = new CompletableFuture<>();
  /** Started with --initial-cluster-state new: one of the members the cluster was founded with. */
  private final boolean founding;
  private final ClusterView cluster;
  private final RaftMembership raftMembership;

  /**
   * @param founders the members a new cluster is founded with ({@link MemberRecords#founders}); empty
   *     on a member started to join an existing cluster
   * @param initialPeers the Raft configuration to start with (empty: the one in the log, or none yet)
   */
  private KeelServer(ServerConfig config, MemberIdentity identity, List<MemberRecord> founders,
      List<RaftPeer> initialPeers, TestBreaks breaks) throws IOException {
    this.config = config;
    this.breaks = breaks;
    this.memberId = identity.memberId();
    this.clusterId = identity.clusterId();
    this.founding = !founders.isEmpty();
    this.watchHub = new WatchHub(config.name(),
        WatchHub.Settings.DEFAULTS.withProgressInterval(config.watchProgressNotifyInterval())
            // exists only for the torture checkers' self-test (keel.test.break=drop-watch-event)
            .withDroppedEvent(breaks.dropWatchEvent() ? TestBreaks.DROPPED_WATCH_EVENT : 0),
        this::currentStore);
    this.recipesExecutor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + config.name() + "-recipes");
      thread.setDaemon(true);
      return thread;
    });
    this.v2WatchExecutor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + config.name() + "-v2watch");
      thread.setDaemon(true);
      return thread;
    });
    this.v2 = Applier.newV2Store(config.initialCluster().size(), v2WatchExecutor);
    // Expired leases are revoked through the log by the leader only; its clocks extend every lease
    // by one election timeout on promotion, as etcd's Promote does.
    LeaderLeases leaderLeases = new LeaderLeases(config.name(), new ExpiryQueue(System::nanoTime),
        this::lessor, this::revokeExpired, config.electionMillis());
    this.metrics = new ServerMetrics(memberId, MaintenanceService.VERSION);
    this.stateMachine = new KeelStateMachine(config.name(), applierSettings(config), leaderLeases, watchHub, v2,
        metrics.stateMachine());
    try {
      this.node = new RatisNode(config, identity.raftPeer(), initialPeers, stateMachine, stateMachine.appliedIndex());
    } catch (IOException | RuntimeException e) {
      watchHub.close();
      recipesExecutor.shutdownNow();
      v2WatchExecutor.shutdownNow();
      throw e;
    }
    stateMachine.snapshotEvery(config.snapshotCount(), () -> node.takeSnapshot().whenComplete((index, error) -> {
      if (error != null) {
        LOG.warn("{}: Raft did not record the snapshot written after {} commands: {}", config.name(),
            config.snapshotCount(), error.toString());
        stateMachine.snapshotNotTaken();
      }
    }));
    this.cluster = new ClusterView(identity, founders, stateMachine::members, node);
    this.raftMembership = new RaftMembership(config.name(), node, stateMachine::members);
    metrics.watch(node, stateMachine::store, config.quotaBackendBytes());
    metrics.mvcc(stateMachine.mvccCounters());
    metrics.watches(watchHub.counts());
    metrics.leaderLeases(leaderLeases::renewals, leaderLeases::expiries);
    metrics.member(stateMachine::installingSnapshot, cluster::isLearner);
    this.proposer = new Proposer(node, config.maxRequestBytes(), metrics.proposals(),
        new SpaceQuota(config.quotaBackendBytes(), () -> stateMachine.store().dbSizeBytes(), memberId));
    this.v2Sweep = new V2ExpirySweep(config.name(), v2, node::isLeader,
        now -> proposer.propose(Command.newBuilder().setV2Sync(V2Sync.newBuilder().setTime(now)).build()));
  }

  private Lessor lessor() {
    return stateMachine.lessor();
  }

  private static Applier.Settings applierSettings(ServerConfig config) {
    return new Applier.Settings(Lessor.minTtlSeconds(config.electionMillis()));
  }

  private CompletableFuture<?> revokeExpired(long leaseId, long term) {
    if (!node.isLeader()) {
      return CompletableFuture.failedFuture(new EtcdException(EtcdError.NOT_LEADER));
    }
    return proposer.propose(Command.newBuilder()
        .setLeaseExpiry(LeaseExpiry.newBuilder().setId(leaseId).setTerm(term)).build());
  }

  /**
   * How often revision-mode auto-compaction looks: etcd's 5 minutes; {@value
   * #COMPACTION_INTERVAL_PROPERTY} (milliseconds) shortens it for tests.
   */
  public static final String COMPACTION_INTERVAL_PROPERTY = "keel.compactor.revisionIntervalMillis";

  private keel.server.mvcc.MvccStore currentStore() {
    return stateMachine.store();
  }

  /** Starts a member and returns once its client port is listening (not once it has a leader). */
  public static KeelServer start(ServerConfig config) throws IOException {
    // Read once per member start; an unknown name stops it here, before anything is opened.
    TestBreaks breaks = TestBreaks.fromSystemProperty();
    breaks.warn(config.name());
    GrpcDoor.prepareInBackground();
    Files.createDirectories(config.dataDir());
    // Who this member is: as its data dir says from an earlier start; else a founding member's from
    // its flags; else (--initial-cluster-state existing) as the cluster says.
    List<MemberRecord> named = founding(config) ? MemberRecords.founders(config) : List.of();
    Optional<MemberIdentity> saved = MemberIdentity.load(config.dataDir());
    Path raftDir = RatisNode.storageDir(config);
    RaftGroupId group = RatisNode.groupId(config.initialClusterToken());
    SeededRaftStorage.finishInterrupted(raftDir);
    MemberIdentity identity;
    List<RaftPeer> joinedPeers = List.of();
    Optional<ForcedRestart.Outcome> forced = Optional.empty();
    if (saved.isPresent()) {
      identity = saved.get();
      if (config.forceNewCluster()) {
        forced = ForcedRestart.run(raftDir, group, identity.memberId(), applierSettings(config),
            config.initialCluster().size());
      }
    } else {
      if (founding(config)) {
        identity = MemberIdentity.founder(config);
      } else {
        ClusterJoin.Joined joined = ClusterJoin.discover(config);
        identity = joined.identity();
        joinedPeers = joined.initialPeers();
      }
      identity.save(config.dataDir());
    }
    // It founds the cluster only if it is one of the founders its flags name: a member added later
    // and restarted with a container's unchanged `new` flags (its agent added it back after it
    // lost its data) finds its configuration in its log, and proposes no bootstrap.
    // A member forced to be a cluster of one is its only peer, and founds nothing: its membership
    // is the one it had, less the members removed.
    List<MemberRecord> founders = forced.isEmpty() && named.stream().anyMatch(f -> f.getId() == identity.memberId())
        ? named : List.of();
    List<RaftPeer> initialPeers = forced.isPresent() ? MemberRecords.raftPeers(List.of(forced.get().self()))
        : founders.isEmpty() ? joinedPeers : MemberRecords.raftPeers(founders);
    SnapshotRestore.seedRaftStorage(config.dataDir(), raftDir, group, applierSettings(config),
        config.initialCluster().size());
    KeelServer server = new KeelServer(config, identity, founders, initialPeers, breaks);
    try {
      server.stateMachine.onMembersChanged(server::membersChanged);
      server.node.start();
      server.raftMembership.start();
      server.startClientServer();
    } catch (IOException | RuntimeException e) {
      server.close();
      Optional<RaftLogVerifier.CorruptSegment> corrupt = RaftLogVerifier.findCorruptSegment(config.dataDir());
      if (corrupt.isPresent()) {
        throw new IOException("Raft log segment " + corrupt.get().file().toAbsolutePath() + " is corrupt ("
            + corrupt.get().problem() + "); refusing to start rather than serve wrong data. Restore the data"
            + " dir from a backup, or remove this member's data dir and let it rejoin from its peers", e);
      }
      throw e;
    }
    LOG.info("{}: member {} of cluster {} serving clients on {}", config.name(),
        MemberIds.hex(server.memberId), MemberIds.hex(server.clusterId), server.clientUrls());
    return server;
  }

  /** Started with --initial-cluster-state new: one of the members the cluster is founded with. */
  private static boolean founding(ServerConfig config) {
    return config.initialClusterState() == ServerConfig.ClusterState.NEW;
  }

  /**
   * On the apply thread, after each membership change applied here: Raft's configuration follows
   * it on the leader; a member that finds itself removed stops, as etcd's does.
   */
  private void membersChanged(Members members) {
    raftMembership.membersChanged();
    if (members.isBootstrapped() && members.wasRemoved(memberId) && removed.complete(null)) {
      LOG.error("{}: the member has been permanently removed from the cluster", config.name());
      LOG.error("{}: the data-dir used by this member must be removed.", config.name());
      CompletableFuture.runAsync(this::close);
    }
  }

  /** Completes once this member learned it was removed from its cluster, and has begun to stop. */
  public CompletableFuture<Void> removed() {
    return removed;
  }

  private void startClientServer() throws IOException {
    Headers headers = new Headers(clusterId, memberId, node);
    Validation validation = new Validation(config.maxTxnOps());
    KvService kv = new KvService(node::readBarrier, stateMachine::store, proposer, validation, headers, breaks);
    Recipes recipes = new Recipes(kv, new HubWatches(watchHub, recipesExecutor));
    GrpcService grpc = GrpcDoor.service(List.of(kv.bindService(),
        new MaintenanceService(node, stateMachine::store, stateMachine::alarms, proposer, headers, cluster,
            stateMachine::latestSnapshot)
            .bindService(),
        new ClusterService(cluster, proposer, headers, java.time.Clock.systemUTC()).definition(),
        new WatchService(watchHub, stateMachine::store, headers, config.maxRequestBytes()).bindService(),
        new LeaseService(node, stateMachine::store, stateMachine::lessor, proposer, headers).definition(),
        new AuthService(headers, () -> stateMachine.store().currentRevision(), node::readBarrier).bindService(),
        new ElectionService(recipes, headers).bindService(),
        new LockService(recipes, kv, headers).bindService()), config.maxRequestBytes(), metrics.grpc(),
        cluster::isLearner);
    ServerBuilder builder = GrpcDoor.serve(Server.builder(), grpc, config.maxRequestBytes());
    // gRPC is routed by its service paths; etcd's plain HTTP/1.1 routes share the port.
    HttpRoutes httpRoutes = new HttpRoutes(config, cluster, node, stateMachine::alarms, v2,
        metrics.appends());
    httpRoutes.addTo(builder);
    if (config.enableV2()) {
      new V2KeysRoutes(v2, proposer, node, MemberIds.hex(clusterId)).addTo(builder);
    }
    MetricsRoute metricsRoute = new MetricsRoute(metrics);
    metricsRoute.addTo(builder);
    new GatewayRoutes(grpc.methods()).addTo(builder);
    builder.decorator(new ServeWhenReady(ready));
    ClientListeners.addTo(builder, config);
    // etcd's --max-concurrent-streams (HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS): a client's
    // stream over it waits for one to end; 0 is no limit, as for gRPC-Go
    if (config.maxConcurrentStreams() > 0) {
      builder.http2MaxStreamsPerConnection(config.maxConcurrentStreams());
    }
    clientServer = builder.build();
    clientServer.start().join();
    if (!config.listenMetricsUrls().isEmpty()) {
      metricsServer = MetricsListener.start(config.listenMetricsUrls(), httpRoutes, metricsRoute);
    }
    v2Sweep.start();
    if (config.autoCompaction().enabled()) {
      Duration interval = Duration.ofMillis(
          Long.getLong(COMPACTION_INTERVAL_PROPERTY, AutoCompactor.ETCD_REVISION_INTERVAL.toMillis()));
      autoCompactor = new AutoCompactor(config.name(), config.autoCompaction(), interval,
          () -> stateMachine.store().currentRevision(), node::isLeader,
          revision -> kv.compact(CompactionRequest.newBuilder().setRevision(revision).build()));
      autoCompactor.start();
    }
    publish();
  }

  /**
   * Tells the cluster this member's client URLs through the log, as etcd's publish does; retried
   * until it is applied or the member stops, because a member may start before a leader exists.
   * A founding member sends its publish inside the bootstrap entry that records the members the
   * cluster starts with (every founder proposes the same; the first applied records them, each
   * publishes its own member): one Raft round before it serves, not two.
   */
  private void publish() {
    List<URI> advertised = config.advertiseClientUrls().stream().anyMatch(url -> EtcdUrls.port(url) == 0)
        ? clientUrls() : config.advertiseClientUrls();
    MemberAttributes attributes = MemberAttributes.newBuilder()
        .setId(memberId)
        .setName(config.name())
        .addAllClientUrls(advertised.stream().map(URI::toString).toList())
        .build();
    Command command = founding
        ? Command.newBuilder().setBootstrap(cluster.bootstrap().toBuilder().setPublisher(attributes)).build()
        : Command.newBuilder().setPublishMember(attributes).build();
    proposer.propose(command).whenComplete((result, error) -> {
      if (error != null && !closed) {
        LOG.debug("{}: publishing the client URLs failed, trying again: {}", config.name(), error.toString());
        publish();
      } else if (error == null) {
        // etcd's words: scripts and test frameworks wait for this line
        LOG.info("published {Name:{} ClientURLs:[{}]} to cluster {}", config.name(),
            String.join(" ", attributes.getClientUrlsList()), MemberIds.hex(clusterId));
        catchUp();
      }
    });
  }

  /**
   * Becomes ready once this member has applied everything committed when its publish entry was
   * (a ReadIndex barrier after the publish): a restarted member then never serves a store older
   * than the one it served before it stopped.
   */
  private void catchUp() {
    node.readBarrier().whenComplete((caughtUp, error) -> {
      if (closed) {
        return;
      }
      if (error != null) {
        LOG.debug("{}: catching up before serving clients failed, trying again: {}", config.name(), error.toString());
        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS).execute(this::catchUp);
      } else if (ready.complete(null)) {
        LOG.info("{}: caught up at applied index {}", config.name(), node.appliedIndex());
        announceReady();
      }
    });
  }

  /** etcd's lines once it serves, at the same moment: health checks and scripts wait for them. */
  private void announceReady() {
    LOG.info("ready to serve client requests");
    for (URI url : config.listenClientUrls()) {
      String where = EtcdUrls.isUnix(url) ? url.getRawAuthority() : EtcdUrls.host(url) + ":" + EtcdUrls.port(url);
      if (EtcdUrls.isSecure(url)) {
        LOG.info("serving client requests on {}", where);
      } else {
        LOG.info("serving insecure client requests on {}, this is strongly discouraged!", where);
      }
    }
    LOG.info("enabled capabilities for version 3.4");
  }

  public ServerConfig config() {
    return config;
  }

  public String name() {
    return config.name();
  }

  public long memberId() {
    return memberId;
  }

  public long clusterId() {
    return clusterId;
  }

  /** This member's watch hub (for tests and metrics). */
  public WatchHub watchHub() {
    return watchHub;
  }

  public boolean isLeader() {
    return node.isLeader();
  }

  /** The URLs clients reach this member on, with the ports actually bound (port 0 resolved). */
  public List<URI> clientUrls() {
    return ClientListeners.urls(clientServer.activePorts().values());
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ready.completeExceptionally(new EtcdException(EtcdError.STOPPED));
    if (autoCompactor != null) {
      autoCompactor.close();
    }
    if (clientServer != null) {
      clientServer.stop().join();
      ClientListeners.removeUnixSockets(config);
    }
    if (metricsServer != null) {
      metricsServer.stop().join();
    }
    raftMembership.close();
    try {
      node.close();
    } catch (IOException e) {
      LOG.warn("{}: raft did not close cleanly: {}", config.name(), e.toString());
    }
    v2Sweep.close();
    watchHub.close();
    recipesExecutor.shutdownNow();
    v2WatchExecutor.shutdownNow();
    metrics.close();
    LOG.info("{}: stopped", config.name());
  }
}
