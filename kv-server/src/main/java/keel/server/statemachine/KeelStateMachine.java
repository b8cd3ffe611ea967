package keel.server.statemachine;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.mvcc.MvccStore;
import keel.server.watch.EventSink;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
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
  /** The watch hub: every applier publishes to it; told when a snapshot replaces the store. */
  private final EventSink events;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  /** Replaced whole when a snapshot is loaded; readers take the current one per request. */
  private volatile Applier applier;

  public KeelStateMachine(String member, Applier.Settings settings) {
    this(member, settings, EventSink.NONE);
  }

  public KeelStateMachine(String member, Applier.Settings settings, EventSink events) {
    this.member = member;
    this.settings = settings;
    this.events = events;
    this.applier = new Applier(settings, events);
  }

  public MvccStore store() {
    return applier.store();
  }

  public Members members() {
    return applier.members();
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
    loadLatestSnapshot();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  private void loadLatestSnapshot() throws IOException {
    SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
    if (snapshot == null) {
      return;
    }
    File file = snapshot.getFile().getPath().toFile();
    if (!file.exists()) {
      throw new IOException("snapshot file " + file.getAbsolutePath() + " is missing although Raft's"
          + " storage names it as the latest snapshot; refusing to start");
    }
    Applier loaded = SnapshotFile.read(file, in -> Applier.readFrom(in, settings, events));
    TermIndex last = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file);
    applier = loaded;
    events.restored(loaded.store().currentRevision());
    updateLastAppliedTermIndex(last);
    LOG.info("{}: loaded snapshot {} at {} (revision {})", member, file.getName(), last,
        loaded.store().currentRevision());
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    CommandResult result;
    try {
      Command command = Command.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
      result = applier.apply(index, command);
    } catch (IOException e) {
      // Every member decodes the same bytes, so every member refuses the same entry alike.
      LOG.error("{}: log entry {} is not a Keel command", member, index, e);
      result = Applier.unknownError();
    }
    updateLastAppliedTermIndex(entry.getTerm(), index);
    return CompletableFuture.completedFuture(
        Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray())));
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    LOG.info("{}: leader is now {}", member, newLeaderId);
  }

  /** Used only as the ReadIndex barrier: the caller reads the local store once this completes. */
  @Override
  public CompletableFuture<Message> query(Message request) {
    return CompletableFuture.completedFuture(Message.EMPTY);
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    Files.createDirectories(file.getParentFile().toPath());
    Applier current = applier;
    SnapshotFile.write(file, current::writeTo);
    FileInfo info = new FileInfo(file.toPath(), MD5FileUtil.computeAndSaveMd5ForFile(file));
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(info, last));
    LOG.info("{}: took snapshot {} (revision {})", member, file.getName(), current.store().currentRevision());
    return last.getIndex();
  }
}
