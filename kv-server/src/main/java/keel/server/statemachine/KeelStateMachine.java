package keel.server.statemachine;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import keel.server.command.ActivePeers;
import keel.server.command.ClusterBootstrap;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.command.LeaderAnswer;
import keel.server.command.LeaderQuery;
import keel.server.command.MemberRecord;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.lease.LeaderLeases;
import keel.server.lease.Lessor;
import keel.server.mvcc.MvccCounters;
import keel.server.mvcc.MvccStore;
import keel.server.raft.AppliedIndex;
import keel.server.v2store.V2Store;
import keel.server.watch.EventSink;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.impl.LeaderProgress;
import org.apache.ratis.server.impl.StrictReadIndex;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis glue, nothing more: decode the command, hand it to the {@link Applier}, record the applied
 * index, answer with the encoded result. Snapshots wrap the applier's state in a
 * {@link SnapshotFile}. Ratis calls {@code applyTransaction} and {@code takeSnapshot} from one
 * thread, in log order.
 */
public final class KeelStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(KeelStateMachine.class);

  private final String member;
  private final Applier.Settings settings;
  private final LeaderLeases leaderLeases;
  /** The watch hub: every applier publishes to it; told when a snapshot replaces the store. */
  private final EventSink events;
  /** The v2 tree: one for the member's life, loaded in place from snapshots (watchers stay). */
  private final V2Store v2;
  /**
   * Commands applied since the last snapshot, and how many call for the next: etcd's
   * --snapshot-count counts requests, and a Raft entry may hold a batch of them. Apply thread only
   * (Ratis takes snapshots on it too).
   */
  private long commandsSinceSnapshot;
  private long snapshotEveryCommands = Long.MAX_VALUE;
  private Runnable snapshotWritten = () -> { };
  /**
   * A snapshot is on its way: captured and being written, or written and not yet recorded by Ratis.
   * Cleared when Ratis records one, or by {@link #snapshotNotTaken} from any thread.
   */
  private volatile boolean snapshotAsked;
  /** Writes the snapshots captured on the apply thread, so that applying goes on meanwhile. */
  private final java.util.concurrent.ExecutorService snapshotWriter;
  /** The snapshot being written in the background (apply thread only). */
  private CompletableFuture<Void> writing = CompletableFuture.completedFuture(null);
  /**
   * Written in the background, not yet handed to Ratis by {@link #takeSnapshot}: not named the
   * latest snapshot until then, because Ratis does nothing when asked to take one while the latest
   * it is told of covers everything applied (it would never ask for this one, and no snapshot would
   * be taken again).
   */
  private volatile SingleFileSnapshotInfo written;
  /**
   * This member's latest snapshot, the one place that names it: Ratis's storage looks for it
   * lazily, on the thread that asks, and a snapshot named latest by another thread meanwhile made
   * it fail (a NullPointerException that stopped the leader's log appender to one follower for
   * good). It only moves forward: a snapshot written in the background may finish after a newer
   * one was installed from the leader.
   */
  private final java.util.concurrent.atomic.AtomicReference<SingleFileSnapshotInfo> latest =
      new java.util.concurrent.atomic.AtomicReference<>();
  /** The member's metrics: leader changes, lease grants and revokes, snapshots saved. */
  private final StateMachineObserver observer;
  /** What every applier tells of grants and revokes: the leader's lease clocks, then the metrics. */
  private final Lessor.Listener leases;
  /** The MVCC counters of every store this member holds, one after another: they never go back. */
  private final MvccCounters mvccCounters = new MvccCounters();
  /** True while a snapshot sent by the leader is being loaded (etcd's snapshot_apply_in_progress_total). */
  private volatile boolean installingSnapshot;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  /** What has been applied here, for writes answered once applied on this member. */
  private final AppliedIndex appliedIndex = new AppliedIndex();
  /** Replaced whole when a snapshot is loaded; readers take the current one per request. */
  private volatile Applier applier;
  /** Told of every change of the membership applied here, on the apply thread: keep it short. */
  private volatile Consumer<Members> membersChanged = members -> { };
  /** The membership last reported to {@link #membersChanged}, and its version then. */
  private Members reportedMembers;
  private long reportedVersion = -1;

  /**
   * @param leaderLeases the leader-only lease clocks, started and stopped by leadership
   * @param events the watch hub: every applier publishes to it; told when a snapshot replaces the store
   * @param v2 the v2 key tree ({@link Applier#newV2Store})
   * @param observer the member's metrics
   */
  public KeelStateMachine(String member, Applier.Settings settings, LeaderLeases leaderLeases, EventSink events,
      V2Store v2, StateMachineObserver observer) {
    this.member = member;
    this.settings = settings;
    this.leaderLeases = leaderLeases;
    this.events = events;
    this.v2 = v2;
    this.observer = observer;
    this.leases = Lessor.Listener.both(leaderLeases.listener(), observer);
    this.applier = new Applier(settings, leases, events, v2, mvccCounters);
    this.snapshotWriter = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + member + "-snapshot-writer");
      thread.setDaemon(true);
      return thread;
    });
  }

  public V2Store v2() {
    return v2;
  }

  /** Advanced after every entry applied and every snapshot loaded. */
  public AppliedIndex appliedIndex() {
    return appliedIndex;
  }

  public MvccStore store() {
    return applier.store();
  }

  public Members members() {
    return applier.members();
  }

  public Lessor lessor() {
    return applier.lessor();
  }

  public Alarms alarms() {
    return applier.alarms();
  }

  /** What this member's stores did since it started, for etcd's MVCC counters. */
  public MvccCounters mvccCounters() {
    return mvccCounters;
  }

  /** Whether a snapshot sent by the leader is being loaded now. */
  public boolean installingSnapshot() {
    return installingSnapshot;
  }

  /** The file of this member's latest snapshot (a {@link SnapshotFile}), or null before its first. */
  public java.nio.file.Path latestSnapshot() {
    SingleFileSnapshotInfo snapshot = latest.get();
    return snapshot == null ? null : snapshot.getFile().getPath();
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    getLifeCycle().startAndTransition(() -> {
      super.initialize(server, groupId, raftStorage);
      storage.init(raftStorage);
      loadLatestSnapshot();
    }, IOException.class);
  }

  /** Ratis pauses the state machine before it installs a snapshot sent by the leader. */
  @Override
  public void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** Ratis calls this after it installed a snapshot sent by the leader. */
  @Override
  public void reinitialize() throws IOException {
    LOG.info("{}: installed a snapshot from the leader", member);
    // etcd's applySnapshot: from the received snapshot to the stores replaced by it
    installingSnapshot = true;
    try {
      loadLatestSnapshot();
    } finally {
      installingSnapshot = false;
    }
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public SingleFileSnapshotInfo getLatestSnapshot() {
    return latest.get();
  }

  private void named(SingleFileSnapshotInfo snapshot) {
    if (snapshot != null) {
      latest.accumulateAndGet(snapshot, (old, now) -> old == null || now.getIndex() > old.getIndex() ? now : old);
    }
  }

  private void loadLatestSnapshot() throws IOException {
    SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
    named(snapshot);
    if (snapshot == null) {
      return;
    }
    File file = snapshot.getFile().getPath().toFile();
    if (!file.exists()) {
      throw new IOException("snapshot file " + file.getAbsolutePath() + " is missing although Raft's"
          + " storage names it as the latest snapshot; refusing to start");
    }
    Applier loaded = SnapshotFile.read(file, in -> Applier.readFrom(in, settings, leases, events, v2, mvccCounters));
    TermIndex last = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file);
    applier = loaded;
    events.restored(loaded.store().currentRevision());
    updateLastAppliedTermIndex(last);
    appliedIndex.advance(last.getIndex());
    reportMembers();
    LOG.info("{}: loaded snapshot {} at {} (revision {})", member, file.getName(), last,
        loaded.store().currentRevision());
  }

  /**
   * Takes a snapshot once {@code commands} commands were applied since the last one, counting each
   * command of a batch: Ratis's own trigger counts log entries, which group commit fills with many
   * commands, so the log to replay at a restart would grow with the batch size. The state is
   * captured on the apply thread between two entries and written on a thread of its own while
   * applying goes on (writing it on the apply thread held every write for up to a second with a
   * few hundred thousand revisions); once written, {@code record} asks Ratis to take a snapshot,
   * and {@link #takeSnapshot} hands it this one. Called once, before Raft starts.
   */
  public void snapshotEvery(long commands, Runnable record) {
    this.snapshotEveryCommands = Math.max(1, commands);
    this.snapshotWritten = record;
  }

  /** {@code listener} hears of each membership change applied here (and of the membership at once). */
  public void onMembersChanged(Consumer<Members> listener) {
    this.membersChanged = listener;
    listener.accept(applier.members());
  }

  private void reportMembers() {
    Members current = applier.members();
    if (current != reportedMembers || current.version() != reportedVersion) {
      reportedMembers = current;
      reportedVersion = current.version();
      membersChanged.accept(current);
    }
  }

  /** The snapshot written was not recorded by Ratis: the next command starts another. */
  public void snapshotNotTaken() {
    snapshotAsked = false;
  }

  /** Counts the commands of the entry just applied at {@code at}; captures a snapshot when they call for one. */
  private void counted(Command command, TermIndex at) {
    commandsSinceSnapshot += command.getBodyCase() == Command.BodyCase.BATCH
        ? command.getBatch().getCommandsCount() : 1;
    if (commandsSinceSnapshot >= snapshotEveryCommands && !snapshotAsked && writing.isDone()) {
      snapshotAsked = true;
      commandsSinceSnapshot = 0;
      Capture capture = capture(at);
      writing = CompletableFuture.runAsync(() -> {
        try {
          written = write(capture);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, snapshotWriter).handle((ignored, error) -> {
        if (error != null) {
          LOG.warn("{}: the snapshot at {} could not be written: {}", member, at, error.toString());
          snapshotAsked = false;
        } else {
          snapshotWritten.run();
        }
        return null;
      });
    }
  }

  /** The state as of {@code at}, to write on any thread. Apply thread only. */
  private record Capture(TermIndex at, long revision, SnapshotFile.BodyWriter body) {}

  private Capture capture(TermIndex at) {
    Applier current = applier;
    try {
      return new Capture(at, current.store().currentRevision(), current.capture());
    } catch (IOException e) {
      throw new UncheckedIOException("capturing the state for a snapshot failed", e); // in memory: never
    }
  }

  /** Writes the snapshot file (synced). */
  private SingleFileSnapshotInfo write(Capture capture) throws IOException {
    File file = storage.getSnapshotFile(capture.at().getTerm(), capture.at().getIndex());
    Files.createDirectories(file.getParentFile().toPath());
    long start = System.nanoTime();
    SnapshotFile.write(file, capture.body());
    // etcd's snapshot save: from serializing the state to its files written and synced. No MD5
    // file beside it: the file checks itself (SnapshotFile), and Ratis computes the digest it
    // sends with a snapshot to a follower as it reads it.
    observer.snapshotSaved(System.nanoTime() - start);
    LOG.info("{}: took snapshot {} (revision {})", member, file.getName(), capture.revision());
    return new SingleFileSnapshotInfo(new FileInfo(file.toPath(), null), capture.at());
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    CommandResult result;
    try {
      Command command = Command.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
      result = applier.apply(index, entry.getTerm(), command);
      counted(command, TermIndex.valueOf(entry.getTerm(), index));
    } catch (IOException e) {
      // Every member decodes the same bytes, so every member refuses the same entry alike.
      LOG.error("{}: log entry {} is not a Keel command", member, index, e);
      result = Applier.unknownError();
    }
    updateLastAppliedTermIndex(entry.getTerm(), index);
    appliedIndex.advance(index);
    reportMembers();
    return CompletableFuture.completedFuture(
        Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray())));
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    LOG.info("{}: leader is now {}", member, newLeaderId);
    if (groupMemberId.getPeerId().equals(newLeaderId)) {
      // Ratis has just made this member's leader state and serves no read before its first entry
      // is applied: every read it serves goes through Keel's strict ReadIndex.
      try {
        StrictReadIndex.install(getServer().join().getDivision(groupMemberId.getGroupId()));
      } catch (IOException e) {
        throw new UncheckedIOException("the leader's own Raft group is gone: " + groupMemberId, e);
      }
    }
    observer.leaderChanged();
    if (!groupMemberId.getPeerId().equals(newLeaderId)) {
      leaderLeases.demote();
    }
  }

  /**
   * Called by Ratis on the apply thread once this leader has applied its first entry of the term,
   * i.e. everything before it: the lessor is complete, so every lease's clock restarts now.
   */
  @Override
  public void notifyLeaderReady() {
    // Called while this member leads: its current term is the one it leads in. (The last applied
    // term is not: the entry that made it ready is a configuration entry, counted after this call.)
    long term;
    try {
      term = getServer().join().getDivision(getGroupId()).getInfo().getCurrentTerm();
    } catch (IOException e) {
      throw new UncheckedIOException("the leader's own Raft group is gone: " + getGroupId(), e);
    }
    leaderLeases.promote(term);
  }

  /**
   * Two kinds of read. Empty: the ReadIndex barrier, the caller reads the local store once this
   * completes. Otherwise a {@link LeaderQuery}, sent to the leader as a linearizable read (so asked
   * only after the leader confirmed it still leads), for what only the leader knows (lease clocks).
   * A follower asked one answers "leader not ready" too. Before the leader is ready it answers Ratis's
   * "leader not ready", which the asking member retries.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    if (request.getContent().isEmpty()) {
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    LeaderAnswer answer;
    try {
      LeaderQuery query = LeaderQuery.parseFrom(request.getContent().asReadOnlyByteBuffer());
      answer = switch (query.getBodyCase()) {
        case KEEP_ALIVE -> LeaderAnswer.newBuilder().setKeepAlive(leaderLeases.keepAlive(query.getKeepAlive())).build();
        case TIME_TO_LIVE -> LeaderAnswer.newBuilder().setTimeToLive(leaderLeases.timeToLive(query.getTimeToLive())).build();
        case LEARNER_READY -> LeaderAnswer.newBuilder().setLearnerReady(learnerReady(query.getLearnerReady())).build();
        case ACTIVE_PEERS -> LeaderAnswer.newBuilder().setActivePeers(activePeers()).build();
        case CLUSTER -> LeaderAnswer.newBuilder().setCluster(ClusterBootstrap.newBuilder()
            .setClusterId(members().clusterId()).addAllMembers(members().list())).build();
        case BODY_NOT_SET -> LeaderAnswer.newBuilder().setError(EtcdError.UNKNOWN.name()).build();
      };
    } catch (EtcdException e) {
      if (e.error() == EtcdError.NOT_LEADER) {
        return CompletableFuture.failedFuture(new LeaderNotReadyException(RaftGroupMemberId.valueOf(getId(), getGroupId())));
      }
      answer = LeaderAnswer.newBuilder().setError(e.error().name()).build();
    } catch (IOException e) {
      LOG.error("{}: a query is neither empty nor a LeaderQuery", member, e);
      answer = LeaderAnswer.newBuilder().setError(EtcdError.UNKNOWN.name()).build();
    }
    return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(answer.toByteArray())));
  }

  /** How etcd's leader judges a learner before promoting it: its log matches at least 90% of the leader's. */
  static final double LEARNER_READY_SHARE = 0.9;
  /** etcd's HealthInterval: a peer heard from within it counts as active. */
  static final long ACTIVE_MILLIS = 5_000;

  private boolean learnerReady(long memberId) {
    RaftServer.Division division = leaderDivision();
    MemberRecord learner = members().byId(memberId).orElseThrow(() -> new EtcdException(EtcdError.MEMBER_NOT_FOUND));
    if (!learner.getLearner()) {
      throw new EtcdException(EtcdError.MEMBER_NOT_LEARNER);
    }
    long match = LeaderProgress.matchIndex(division, RaftPeerId.valueOf(learner.getRaftPeer())).orElse(0);
    TermIndex last = division.getRaftLog().getLastEntryTermIndex();
    long leaderMatch = last == null ? 0 : last.getIndex();
    return match >= leaderMatch * LEARNER_READY_SHARE;
  }

  private ActivePeers activePeers() {
    RaftServer.Division division = leaderDivision();
    ActivePeers.Builder active = ActivePeers.newBuilder().addRaftPeers(division.getId().toString());
    LeaderProgress.answeredWithin(division, ACTIVE_MILLIS).forEach(id -> active.addRaftPeers(id.toString()));
    return active.build();
  }

  private RaftServer.Division leaderDivision() {
    try {
      RaftServer.Division division = getServer().join().getDivision(getGroupId());
      if (!division.getInfo().isLeader()) {
        throw new EtcdException(EtcdError.NOT_LEADER);
      }
      return division;
    } catch (IOException e) {
      throw new EtcdException(EtcdError.STOPPED);
    }
  }

  @Override
  public void close() throws IOException {
    snapshotWriter.shutdown();
    leaderLeases.close();
    super.close();
  }

  /**
   * Called by Ratis on the apply thread: when asked to record the snapshot written in the
   * background ({@link #snapshotEvery}), at a stop, and for etcd's Maintenance Snapshot. Hands
   * Ratis the snapshot written in the background if there is one not yet recorded (a caller that
   * needs one as of now asks again, see {@code RatisNode#takeSnapshotCovering}); otherwise writes
   * one of the state now, on this thread.
   */
  @Override
  public long takeSnapshot() throws IOException {
    writing.join(); // never fails: a failure is logged where it is written
    SingleFileSnapshotInfo done = written;
    if (done != null) {
      written = null;
      snapshotAsked = false;
      named(done);
      return done.getIndex();
    }
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    SingleFileSnapshotInfo newest = latest.get();
    if (newest != null && newest.getIndex() >= last.getIndex()) {
      return newest.getIndex();
    }
    commandsSinceSnapshot = 0;
    snapshotAsked = false;
    named(write(capture(last)));
    return last.getIndex();
  }
}
