package keel.server.raft;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import keel.server.ServerConfig;
import keel.server.cli.EtcdUrls;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.impl.StrictReadIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.ExitUtils;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's Raft: the Ratis server, and the two ways a request enters it.
 *
 * <ul>
 *   <li>{@link #submit}: a write. On the leader it is proposed to the local server with no network
 *       hop; on a follower it is forwarded to the leader. Every attempt of one write carries the
 *       same client id and call id, so Ratis's retry cache applies it at most once even when a
 *       retry lands on a new leader.
 *   <li>{@link #readBarrier}: a linearizable read's ReadIndex. Completes once this member has
 *       applied everything committed when the read arrived, on the leader or a follower; the
 *       caller then reads its local store. Reads never go through the log.
 * </ul>
 */
public final class RatisNode implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(RatisNode.class);
  /** Pause between two tries of a request that found no ready leader (and between leader checks). */
  private static final long RETRY_DELAY_MILLIS = 25;
  /** The most log entries one append to a follower carries (etcd bounds its messages by 1 MiB). */
  static final int ENTRIES_PER_APPEND = 1024;
  /** Ratis's configuration keys all start with this; see {@link #overrideFromSystemProperties}. */
  private static final String RATIS_KEY_PREFIX = "raft.";

  static {
    // Ratis ends the JVM when its gRPC server cannot start (a busy peer port). Keel is often
    // embedded: make that an exception the caller sees, with its message.
    ExitUtils.disableSystemExit();
  }

  private final String member;
  private final RaftPeerId self;
  private final RaftGroup group;
  private final RaftServer server;
  /** Sends writes and leader queries on to the leader; replaced when a peer's address changes. */
  private volatile RaftClientRpc forwarder;
  private final Supplier<RaftClientRpc> newForwarder;
  /** Every peer the forwarder was told of, at the address it has for it. */
  private final Map<RaftPeerId, RaftPeer> forwardTargets = new java.util.concurrent.ConcurrentHashMap<>();
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final long requestTimeoutMillis;
  private final ScheduledExecutorService retries;
  /**
   * Completes every caller's future, in order, off Ratis's threads: Ratis completes replies on
   * the thread that applies the log, and what callers chain on them (decoding, building and
   * sending the answer, reading the store after a ReadIndex) must not hold up the next entry.
   */
  private final ExecutorService replies;
  private final AppliedIndex applied;
  private final ReadRounds reads = new ReadRounds(this::readIndex);

  /**
   * @param applied advanced by {@code stateMachine} as it applies: a forwarded write is answered
   *     once this member applied it too
   * @param raftPeer this member's Ratis peer id ({@link MemberIds#raftPeer})
   * @param initialPeers the configuration to start with: the founding members for a new cluster;
   *     empty for a voting member joining an existing cluster, which the leader brings in (a
   *     restarted member reads its own from its log either way)
   */
  public RatisNode(ServerConfig config, String raftPeer, List<RaftPeer> initialPeers, StateMachine stateMachine,
      AppliedIndex applied) throws IOException {
    this.member = config.name();
    this.applied = applied;
    this.self = RaftPeerId.valueOf(raftPeer);
    this.group = RaftGroup.valueOf(groupId(config.initialClusterToken()), initialPeers);
    RaftProperties properties = properties(config, firstElectionRank(self, initialPeers));
    Parameters parameters = PeerTls.parameters(config);
    this.server = RaftServer.newBuilder()
        .setServerId(self)
        .setGroup(group)
        .setStateMachine(stateMachine)
        .setProperties(properties)
        .setParameters(parameters)
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    this.newForwarder = () -> new GrpcFactory(parameters).newRaftClientRpc(clientId, properties);
    this.forwarder = newForwarder.get();
    StrictReadIndex.verify(); // before this member can lead: its reads must not be served stale
    group.getPeers().forEach(this::knowForwardTarget);
    this.requestTimeoutMillis = requestTimeoutMillis(config);
    this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + member + "-raft-retry");
      thread.setDaemon(true);
      return thread;
    });
    this.replies = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + member + "-raft-replies");
      thread.setDaemon(true);
      return thread;
    });
  }

  public void start() throws IOException {
    server.start();
    LOG.info("{}: raft started in group {} with peers {}", member, group.getGroupId(), group.getPeers());
  }

  /** etcd's request timeout: 5 s plus two election timeouts (etcdserver.ReqTimeout). */
  static long requestTimeoutMillis(ServerConfig config) {
    return 5000 + 2 * config.electionMillis();
  }

  /** Where Ratis keeps this member's log, snapshots and Raft metadata: one directory per group. */
  public static java.nio.file.Path storageDir(ServerConfig config) {
    return config.dataDir().resolve("raft");
  }

  /** The group id is a function of the cluster token, so every member computes the same one. */
  public static RaftGroupId groupId(String clusterToken) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
        ("keel-cluster/" + clusterToken).getBytes(StandardCharsets.UTF_8)));
  }

  /** A member as a Ratis peer: its peer id, reached at its (current) first peer URL. */
  public static RaftPeer peer(String raftPeer, URI peerUrl) {
    return RaftPeer.newBuilder()
        .setId(raftPeer)
        .setAddress(EtcdUrls.host(peerUrl) + ":" + EtcdUrls.port(peerUrl))
        .build();
  }

  /**
   * This member's place among the founders, which every member lists alike (by member id, as etcd
   * orders them; 0 for a member that is not one): the order in which the founders campaign first
   * ({@link #properties}).
   */
  static int firstElectionRank(RaftPeerId self, List<RaftPeer> founders) {
    for (int i = 0; i < founders.size(); i++) {
      if (founders.get(i).getId().equals(self)) {
        return i;
      }
    }
    return 0;
  }

  static RaftProperties properties(ServerConfig config, int firstElectionRank) {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, new KeelRpcType()); // gRPC, with RaceSafeLogAppender
    RaftServerConfigKeys.setStorageDir(p, List.of(storageDir(config).toFile()));
    URI peerUrl = config.listenPeerUrls().get(0);
    GrpcConfigKeys.Server.setHost(p, EtcdUrls.host(peerUrl));
    GrpcConfigKeys.Server.setPort(p, EtcdUrls.port(peerUrl));

    // etcd randomises the election timeout in [election, 2 x election). Ratis sends heartbeats
    // every half of the minimum timeout, so --heartbeat-interval bounds nothing tighter than that.
    long election = config.electionMillis();
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(election, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(2 * election, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setRequestTimeout(p,
        TimeDuration.valueOf(Math.max(3000, 3 * election), TimeUnit.MILLISECONDS));
    // The first election after a start comes sooner, as etcd fast-forwards its election ticks at
    // start (--initial-election-tick-advance): a fresh cluster has a leader about a second
    // earlier. Pre-vote (Ratis's default) keeps an early campaign from disturbing a cluster that
    // already has a leader when one member restarts. The founders take turns, one election timeout
    // apart in the order of their member ids: members started together used to campaign
    // within the same half second, while the first requests between fresh JVMs took longer than
    // that, and split the first vote (1-2 s more to a leader in most fresh starts).
    long first = 3 * election / 10 + firstElectionRank * election;
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p,
        TimeDuration.valueOf(Math.max(1, first), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p,
        TimeDuration.valueOf(Math.max(2, first + election / 10), TimeUnit.MILLISECONDS));
    // A leader cut off from its majority steps down after about one election timeout.
    RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p,
        TimeDuration.valueOf(2 * election, TimeUnit.MILLISECONDS));
    // A follower that was unreachable hears from the leader again within about a heartbeat of its
    // return, as etcd redials a peer every 100 ms. (Ratis's default backs off to 5 s between
    // tries, and a returning member without a leader for that long refuses clients.)
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, "1ms,10, 100ms," + Integer.MAX_VALUE);

    // Linearizable reads by ReadIndex, on the leader and on followers (StrictReadIndex).
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);

    // Snapshots every --snapshot-count commands; the log is purged up to the snapshot so a member
    // that was away long catches up by snapshot. Keel triggers them itself, counting commands rather
    // than entries, and writes them off the apply thread (KeelStateMachine.snapshotEvery): Ratis's
    // trigger would write on it.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, false);
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    // Only closed segments are purged (tests that need a purged log set a small segment size
    // with -Draft.server.log.segment.size.max=64KB).
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.max(1, Math.min(1024, config.snapshotCount())));
    // Closed log segments kept in memory for followers that lag: Ratis's default (up to 200 MB of
    // the heap) would hold several times a store of 100,000 keys. Older entries are read from the
    // segment files when a follower needs them. 4 MiB segments, one closed one cached: at most
    // 8 MiB of entries on the heap (the open segment is always cached), where 8 MiB segments and
    // two cached held up to 24 (perf/ANALYSIS.md, section 5).
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(4L << 20));
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 1);
    RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf(8L << 20));
    // A write's reply stays in the retry cache for as long as one of its retries may still come
    // (every try of a write ends at the request timeout), not Ratis's default minute: at a few
    // thousand writes a second that minute held a quarter of a million replies on the heap.
    RaftServerConfigKeys.RetryCache.setExpiryTime(p,
        TimeDuration.valueOf(2 * requestTimeoutMillis(config), TimeUnit.MILLISECONDS));

    // One request may be as large as --max-request-bytes, a v2 write as Go's 10 MiB form limit;
    // the appender must carry either.
    SizeInBytes appendLimit = SizeInBytes.valueOf(Math.max(12L << 20, 2 * config.maxRequestBytes()));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, appendLimit);
    // ... but not that much of small entries: a member far behind was sent 252,095 entries of a
    // few bytes in one append (12 MiB), which took it longer than the request timeout to write, so
    // the leader cancelled and sent the same again, forever (found by the torture run). Ratis
    // keeps several appends in flight, so a bounded count costs no throughput.
    RaftServerConfigKeys.Log.Appender.setBufferElementLimit(p, ENTRIES_PER_APPEND);
    // Ratis writes one entry through its write buffer, which must hold the largest.
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(appendLimit.getSize() + 8));
    // A lagging member is sent the snapshot in chunks, each one peer message: Ratis's default chunk
    // (16 MiB) is above the message limit, so a snapshot over 13 MiB could never be installed and
    // such a member never caught up (found by the torture run).
    SizeInBytes snapshotChunk = SizeInBytes.valueOf(4L << 20);
    RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, snapshotChunk);
    GrpcConfigKeys.setMessageSizeMax(p,
        SizeInBytes.valueOf(Math.max(appendLimit.getSize(), snapshotChunk.getSize()) + (1 << 20)));
    // Back-pressure: pending writes beyond these limits are refused with "too many requests".
    RaftServerConfigKeys.Write.setElementLimit(p, 8192);
    RaftServerConfigKeys.Write.setByteLimit(p, SizeInBytes.valueOf(256L << 20));
    overrideFromSystemProperties(p);
    return p;
  }

  /**
   * Any of Ratis's own keys given as a JVM system property ({@code -Draft.server.log.segment.size.max=64KB},
   * through {@code KEEL_JAVA_OPTS} or a test's JVM options) replaces Keel's setting: for tuning and
   * for tests, with Ratis's key names and value syntax.
   */
  private static void overrideFromSystemProperties(RaftProperties p) {
    System.getProperties().stringPropertyNames().stream()
        .filter(key -> key.startsWith(RATIS_KEY_PREFIX))
        .sorted()
        .forEach(key -> {
          LOG.info("Ratis setting from the JVM's system properties: {}={}", key, System.getProperty(key));
          p.set(key, System.getProperty(key));
        });
  }

  public String member() {
    return member;
  }

  /** This member in Ratis's words (peer id at group id): the key Ratis files this member's log metrics under. */
  public RaftGroupMemberId raftMemberId() {
    return RaftGroupMemberId.valueOf(self, group.getGroupId());
  }

  /** The other founding members' peer ids (none on a member that joined an existing cluster). */
  public List<RaftPeerId> otherPeers() {
    return group.getPeers().stream().map(RaftPeer::getId).filter(id -> !id.equals(self)).toList();
  }

  /** This member's Ratis peer id. */
  public String raftPeer() {
    return self.toString();
  }

  private RaftServer.Division division() {
    try {
      return server.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new EtcdException(EtcdError.STOPPED);
    }
  }

  private DivisionInfo info() {
    return division().getInfo();
  }

  public boolean isLeader() {
    return info().isLeader();
  }

  /** The leader's Ratis peer id, or null while there is none this member knows of. */
  public String leaderPeer() {
    RaftPeerId leader = info().getLeaderId();
    return leader == null ? null : leader.toString();
  }

  /** The Raft configuration in force here: voters and listeners (etcd's learners), by peer id. */
  public RaftConfiguration configuration() {
    return division().getRaftConf();
  }

  /**
   * On the leader: makes {@code voters} and {@code listeners} the cluster's configuration, through
   * Ratis's joint consensus. Ratis first brings a new peer's log up to date (it must be running),
   * and refuses while another change is under way; the caller tries again.
   */
  public CompletableFuture<Void> setConfiguration(List<RaftPeer> voters, List<RaftPeer> listeners) {
    SetConfigurationRequest request = new SetConfigurationRequest(clientId, self, group.getGroupId(),
        callIds.incrementAndGet(), voters, listeners);
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      server.setConfigurationAsync(request).whenComplete((reply, error) -> {
        Throwable failure = error != null ? unwrap(error) : reply.getException();
        if (failure != null) {
          done.completeExceptionally(failure);
        } else {
          done.complete(null);
        }
      });
    } catch (IOException | RuntimeException e) {
      done.completeExceptionally(e);
    }
    return offRaftThreads(done);
  }

  /**
   * The term as etcd numbers it, for clients: etcd writes its bootstrap entries at term 1, so its
   * first elected leader has term 2; Ratis starts at 0 and its first leader has term 1.
   */
  public long term() {
    return info().getCurrentTerm() + 1;
  }

  public long appliedIndex() {
    return info().getLastAppliedIndex();
  }

  public long commitIndex() {
    return division().getRaftLog().getLastCommittedIndex();
  }

  /** Proposes one command; completes with the state machine's reply once it is applied here or on the leader. */
  public CompletableFuture<ByteString> submit(byte[] command) {
    long callId = callIds.incrementAndGet();
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(command));
    CompletableFuture<ByteString> result = new CompletableFuture<>();
    attempt(callId, message, RaftClientRequest.writeRequestType(),
        nowMillis() + requestTimeoutMillis, result);
    return offRaftThreads(result);
  }

  /**
   * Asks the leader's state machine a question only the leader can answer (a {@code LeaderQuery}:
   * renew a lease, a lease's time to live). Sent to the leader as a linearizable read, so the
   * leader first confirms with a majority that it still leads (etcd's {@code ensureLeadership}
   * before a renewal): a leader that was paused or cut off, and does not know yet that another
   * member was elected, must not renew a lease on its own clock, which the new leader never sees
   * (the lease would then expire earlier than the client was told). Retried, like {@link #submit},
   * while there is no ready leader, until etcd's request timeout. Never empty: an empty query is
   * the ReadIndex barrier.
   */
  public CompletableFuture<ByteString> queryLeader(byte[] query) {
    if (query.length == 0) {
      throw new IllegalArgumentException("an empty query is the read barrier, not a leader query");
    }
    long callId = callIds.incrementAndGet();
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(query));
    CompletableFuture<ByteString> result = new CompletableFuture<>();
    attempt(callId, message, RaftClientRequest.readRequestType(),
        nowMillis() + requestTimeoutMillis, result);
    return offRaftThreads(result);
  }

  /**
   * ReadIndex: completes when this member's state machine has caught up to the commit index of
   * now. Concurrent callers share rounds ({@link ReadRounds}); a caller's future completes on
   * Keel's reply thread, so callers with work to do after it hop to their own executor.
   */
  public CompletableFuture<Void> readBarrier() {
    return reads.await();
  }

  /** One ReadIndex through Ratis, retried while there is no ready leader until the request timeout. */
  private CompletableFuture<Void> readIndex() {
    long callId = callIds.incrementAndGet();
    CompletableFuture<ByteString> result = new CompletableFuture<>();
    attemptRead(callId, nowMillis() + requestTimeoutMillis, result);
    // A round all later reads wait for must end even if Ratis never answers it (a member that has
    // not joined its configuration yet): then etcd's read-loop timeout.
    result.completeOnTimeout(null, 2 * requestTimeoutMillis, TimeUnit.MILLISECONDS);
    return offRaftThreads(result.thenApply(content -> {
      if (content == null) {
        throw new EtcdException(EtcdError.TIMEOUT);
      }
      return null;
    }));
  }

  /**
   * etcd's MoveLeader on the leader: hands leadership to the member whose Ratis peer id is {@code transferee} (once
   * it has the whole log) and completes when this member sees it lead, or fails with etcd's
   * leader-transfer timeout after the request timeout. Handing it to the leader itself succeeds
   * at once, as in etcd.
   */
  public CompletableFuture<Void> transferLeadership(String transferee) {
    long deadline = nowMillis() + requestTimeoutMillis;
    TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, self, group.getGroupId(),
        callIds.incrementAndGet(), RaftPeerId.valueOf(transferee), requestTimeoutMillis);
    CompletableFuture<Void> result = new CompletableFuture<>();
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = server.transferLeadershipAsync(request);
    } catch (IOException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    reply.whenComplete((r, error) -> {
      Throwable failure = error != null ? unwrap(error) : r.getException();
      if (failure != null) {
        LOG.warn("{}: leadership transfer to {} failed: {}", member, transferee, failure.toString());
        result.completeExceptionally(new EtcdException(EtcdError.LEADER_TRANSFER_TIMEOUT));
      } else {
        awaitLeader(transferee, deadline, result);
      }
    });
    return offRaftThreads(result);
  }

  /**
   * A snapshot of this member's state machine holding at least everything applied here when
   * called, completed with its log index: what etcd's Maintenance Snapshot streams is this
   * member's store as of now. Ratis may first hand over a snapshot written in the background
   * before the call; then it is asked once more, and writes one of the state now.
   */
  public CompletableFuture<Long> takeSnapshotCovering() {
    long asOf = appliedIndex();
    return takeSnapshot().thenCompose(index -> index >= asOf ? CompletableFuture.completedFuture(index)
        : takeSnapshot());
  }

  /**
   * Asks Ratis to take a snapshot of this member's state machine (unless nothing was applied since
   * the last one) and completes with its log index; the log is purged up to it.
   */
  public CompletableFuture<Long> takeSnapshot() {
    SnapshotManagementRequest request = SnapshotManagementRequest.newCreate(clientId, self, group.getGroupId(),
        callIds.incrementAndGet(), requestTimeoutMillis, 1);
    CompletableFuture<Long> index = new CompletableFuture<>();
    try {
      server.snapshotManagementAsync(request).whenComplete((reply, error) -> {
        Throwable failure = error != null ? unwrap(error) : reply.getException();
        if (failure != null) {
          index.completeExceptionally(failure);
        } else {
          index.complete(reply.getLogIndex());
        }
      });
    } catch (RuntimeException e) {
      index.completeExceptionally(e);
    }
    return offRaftThreads(index);
  }

  /** Ratis answers once this member stepped down; etcd answers once it knows the new leader. */
  private void awaitLeader(String name, long deadline, CompletableFuture<Void> result) {
    if (name.equals(leaderPeer())) {
      LOG.info("{}: leadership moved to {}", member, name);
      result.complete(null);
    } else if (nowMillis() >= deadline) {
      result.completeExceptionally(new EtcdException(EtcdError.LEADER_TRANSFER_TIMEOUT));
    } else {
      retries.schedule(() -> awaitLeader(name, deadline, result), RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /** {@code source}'s outcome, delivered on {@link #replies} (on the caller's thread once closed). */
  private <T> CompletableFuture<T> offRaftThreads(CompletableFuture<T> source) {
    CompletableFuture<T> delivered = new CompletableFuture<>();
    source.whenComplete((value, error) -> {
      Runnable deliver = () -> {
        if (error == null) {
          delivered.complete(value);
        } else {
          delivered.completeExceptionally(error);
        }
      };
      try {
        replies.execute(deliver);
      } catch (RejectedExecutionException stopped) {
        deliver.run();
      }
    });
    return delivered;
  }

  private void attemptRead(long callId, long deadline, CompletableFuture<ByteString> result) {
    RaftClientRequest request = request(self, callId, Message.EMPTY, RaftClientRequest.readRequestType());
    submitLocal(request).whenComplete((reply, error) -> {
      Throwable failure = error != null ? unwrap(error) : reply.getException();
      if (failure == null) {
        result.complete(reply.getMessage().getContent());
      } else if (retriable(failure) && nowMillis() < deadline) {
        LOG.debug("{}: retrying read {} after {}", member, callId, failure.toString());
        retries.schedule(() -> attemptRead(callId, deadline, result), RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      } else if (retriable(failure)) {
        // etcd's read loop answers "request timed out" when no read index arrives in time.
        result.completeExceptionally(new EtcdException(EtcdError.TIMEOUT));
      } else {
        result.completeExceptionally(toEtcd(failure));
      }
    });
  }

  private void attempt(long callId, Message message, RaftClientRequest.Type type, long deadline,
      CompletableFuture<ByteString> result) {
    RaftPeerId leader = info().getLeaderId();
    RaftPeerId target = leader != null ? leader : self;
    RaftClientRequest request = request(target, callId, message, type);
    CompletableFuture<RaftClientReply> reply = target.equals(self)
        ? submitLocal(request)
        : forwardTo(target, request);
    reply.whenComplete((r, error) -> {
      Throwable failure = error != null ? unwrap(error) : r.getException();
      if (failure != null && !target.equals(self)) {
        // Ratis closes a client stream on NotLeader/LeaderNotReady replies and on transport errors;
        // without a reset every later forward to that peer fails with AlreadyClosedException.
        forwarder.handleException(target, failure, true);
      }
      if (failure == null && !target.equals(self) && type.is(org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.WRITE)) {
        // Answer once this member applied the entry too, as etcd does: the client reads its own
        // write here. Bounded by the request's deadline: the write is committed either way.
        long wait = Math.max(1, deadline - nowMillis());
        applied.reach(r.getLogIndex())
            .completeOnTimeout(null, wait, TimeUnit.MILLISECONDS)
            .thenRun(() -> result.complete(r.getMessage().getContent()));
      } else if (failure == null) {
        result.complete(r.getMessage().getContent());
      } else if (retriable(failure) && nowMillis() < deadline) {
        LOG.debug("{}: retrying call {} after {}", member, callId, failure.toString());
        retries.schedule(() -> attempt(callId, message, type, deadline, result),
            RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      } else if (retriable(failure)) {
        // etcd: a proposal that waited out its timeout with no leader fails with Go's context
        // error; with a leader it is "request timed out".
        result.completeExceptionally(new EtcdException(info().getLeaderId() == null
            ? EtcdError.PROPOSAL_DEADLINE_EXCEEDED : EtcdError.TIMEOUT));
      } else {
        result.completeExceptionally(toEtcd(failure));
      }
    });
  }

  /** Forwards a request to the leader, telling the forwarder its address first if it is new to it. */
  private CompletableFuture<RaftClientReply> forwardTo(RaftPeerId target, RaftClientRequest request) {
    RaftPeer peer = division().getRaftConf().getPeer(target, RaftPeerRole.FOLLOWER, RaftPeerRole.LISTENER);
    if (peer != null) {
      knowForwardTarget(peer);
    } else if (!forwardTargets.containsKey(target)) {
      // a joining member hears of its leader before it has the configuration naming the leader's address
      return CompletableFuture.failedFuture(new IOException("the leader " + target + " is not in " + member
          + "'s Raft configuration yet"));
    }
    return forwarder.sendRequestAsyncUnordered(request);
  }

  /**
   * The forwarder reaches the members it was told of: the founders at the start, and any other
   * leader as this member's configuration names it (a member that joined knows no one at first).
   * Ratis's client keeps the first address it was given for a peer id, so when a member update
   * moved a peer the forwarder is replaced by one that knows every peer where it is now; calls on
   * their way through the old one fail and are retried.
   */
  private void knowForwardTarget(RaftPeer peer) {
    RaftPeer known = forwardTargets.get(peer.getId());
    if (known != null && known.getAddress().equals(peer.getAddress())) {
      return;
    }
    synchronized (forwardTargets) {
      known = forwardTargets.put(peer.getId(), peer);
      if (known == null) {
        forwarder.addRaftPeers(List.of(peer));
      } else if (!known.getAddress().equals(peer.getAddress())) {
        LOG.info("{}: peer {} moved from {} to {}", member, peer.getId(), known.getAddress(), peer.getAddress());
        RaftClientRpc moved = newForwarder.get();
        moved.addRaftPeers(forwardTargets.values());
        RaftClientRpc old = forwarder;
        forwarder = moved;
        try {
          old.close();
        } catch (IOException e) {
          LOG.debug("{}: closing the old forwarder: {}", member, e.toString());
        }
      }
    }
  }

  private CompletableFuture<RaftClientReply> submitLocal(RaftClientRequest request) {
    try {
      return server.submitClientRequestAsync(request);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private RaftClientRequest request(RaftPeerId target, long callId, Message message, RaftClientRequest.Type type) {
    return RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(target)
        .setGroupId(group.getGroupId())
        .setCallId(callId)
        .setMessage(message)
        .setType(type)
        .build();
  }

  /**
   * The clock of request deadlines: monotonic milliseconds, as Go's context deadlines are. A step
   * of the wall clock (NTP, a VM resumed) must neither time out every request in flight nor let
   * one retry for as long as the clock went back.
   */
  private static long nowMillis() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
  }

  private static Throwable unwrap(Throwable error) {
    while (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  /**
   * Everything but a definite answer is worth another try until the deadline: a leader election
   * in progress, a dead leader's connection, a stepping-down leader. Retries carry the same call
   * id, so Ratis's retry cache applies a write at most once.
   */
  private static boolean retriable(Throwable failure) {
    return !(failure instanceof EtcdException
        || failure instanceof ResourceUnavailableException
        || failure instanceof StateMachineException
        || failure instanceof GroupMismatchException);
  }

  private EtcdException toEtcd(Throwable failure) {
    if (failure instanceof EtcdException etcd) {
      return etcd;
    }
    if (failure instanceof ResourceUnavailableException) {
      return new EtcdException(EtcdError.TOO_MANY_REQUESTS);
    }
    if (failure instanceof NotLeaderException || failure instanceof LeaderNotReadyException) {
      return new EtcdException(info().getLeaderId() == null ? EtcdError.NO_LEADER : EtcdError.TIMEOUT);
    }
    if (failure instanceof StateMachineException) {
      LOG.error("{}: state machine failed a request", member, failure);
      return new EtcdException(EtcdError.UNKNOWN);
    }
    LOG.warn("{}: request failed: {}", member, failure.toString());
    return new EtcdException(EtcdError.TIMEOUT);
  }

  @Override
  public void close() throws IOException {
    retries.shutdownNow();
    replies.shutdown();
    try {
      forwarder.close();
    } finally {
      server.close();
    }
  }
}
