package keel.server.statemachine;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import keel.server.command.Command;
import keel.server.command.MemberRecord;
import keel.server.lease.Lessor;
import keel.server.mvcc.MvccCounters;
import keel.server.raft.MemberIds;
import keel.server.raft.RaftLogSegments;
import keel.server.raft.RatisNode;
import keel.server.watch.EventSink;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's {@code --force-new-cluster} on a member restarted on its data: it becomes a cluster of
 * one, keeping its member id, its cluster id and every write its log holds, for when its cluster
 * lost its quorum for good. Done before Raft starts, from the data dir alone: the state of its
 * latest snapshot, then every entry of its log after it (see {@link #run}), every other member removed from the
 * membership (their ids cannot come back, as etcd's removed ids), and the member's Raft storage
 * replaced by one that starts from that state with itself as the only voter
 * ({@link SeededRaftStorage}). Members are then added back with {@code member add}.
 */
public final class ForcedRestart {
  private static final Logger LOG = LoggerFactory.getLogger(ForcedRestart.class);

  /**
   * What the member starts as.
   *
   * @param self its own member record, its only Raft peer
   * @param index the Raft index its state was taken at: the last entry of its log
   * @param removed the ids of the members removed
   */
  public record Outcome(MemberRecord self, long index, List<Long> removed) {}

  private ForcedRestart() {}

  /**
   * Makes the member whose data dir holds {@code raftDir} (Ratis's storage dir) a cluster of one.
   *
   * @param initialMembers how many members its {@code --initial-cluster} names (the v2 store's
   *     starting index counts them, as on every member: {@link Applier#newV2Store})
   * @return empty when the member has no Raft storage for {@code group} yet (etcd ignores the flag on
   *     a member with no data)
   * @throws IOException when the storage cannot be read, or the member is not in its membership
   */
  public static Optional<Outcome> run(Path raftDir, RaftGroupId group, long memberId, Applier.Settings settings,
      int initialMembers) throws IOException {
    Path groupDir = raftDir.resolve(group.getUuid().toString());
    if (!Files.isDirectory(groupDir)) {
      return Optional.empty();
    }
    Applier state = new Applier(settings, Lessor.Listener.NONE, EventSink.NONE,
        Applier.newV2Store(initialMembers, Runnable::run));
    TermIndex at = TermIndex.valueOf(0, -1);
    Optional<File> snapshot = latestSnapshot(groupDir.resolve("sm"));
    if (snapshot.isPresent()) {
      state = SnapshotFile.read(snapshot.get(), in -> Applier.readFrom(in, settings, Lessor.Listener.NONE,
          EventSink.NONE, Applier.newV2Store(initialMembers, Runnable::run), new MvccCounters()));
      at = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(snapshot.get());
    }
    // Every entry this member's log holds, also those past the last commit index it records: a
    // follower's log records a commit only with the leader's next metadata entry, after the
    // follower applied what it covers, so cutting there could take back writes it applied and
    // served (etcd records its commit index before it applies, and cuts there). An entry never
    // committed was never acknowledged: keeping it is allowed.
    Applier applying = state;
    long snapshotIndex = at.getIndex();
    TermIndex[] last = {at};
    forEachEntry(groupDir.resolve("current"), entry -> {
      if (entry.getIndex() <= snapshotIndex) {
        return;
      }
      last[0] = TermIndex.valueOf(entry.getTerm(), entry.getIndex());
      if (entry.hasStateMachineLogEntry()) {
        try {
          applying.apply(entry.getIndex(), entry.getTerm(),
              Command.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer()));
        } catch (IOException e) {
          LOG.error("log entry {} is not a Keel command; skipped as every member skipped it", entry.getIndex(), e);
        }
      }
    });
    Members members = state.members();
    MemberRecord self = members.byId(memberId).orElseThrow(() -> new IOException("member "
        + MemberIds.hex(memberId) + " is not in the membership its data dir records; --force-new-cluster"
        + " needs the data dir of a member of the cluster"));
    List<Long> removed = new ArrayList<>();
    for (MemberRecord other : members.list()) {
      if (other.getId() != memberId) {
        members.remove(other.getId());
        removed.add(other.getId());
      }
    }
    TermIndex start = TermIndex.valueOf(last[0].getTerm(), Math.max(0, last[0].getIndex()));
    SeededRaftStorage.create(raftDir, group, start, state,
        List.of(RatisNode.peer(self.getRaftPeer(), URI.create(self.getPeerUrls(0)))));
    LOG.info("forcing restart member {} of cluster {} at index {}; removed {}", MemberIds.hex(memberId),
        MemberIds.hex(members.clusterId()), start.getIndex(), removed.stream().map(MemberIds::hex).toList());
    return Optional.of(new Outcome(self, start.getIndex(), List.copyOf(removed)));
  }

  private static Optional<File> latestSnapshot(Path smDir) throws IOException {
    if (!Files.isDirectory(smDir)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.list(smDir)) {
      return files.filter(f -> SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(f.getFileName().toString()).matches())
          .map(Path::toFile)
          .max(Comparator.comparingLong(f -> SimpleStateMachineStorage.getTermIndexFromSnapshotFile(f).getIndex()));
    }
  }

  private static void forEachEntry(Path currentDir, Consumer<LogEntryProto> consumer) throws IOException {
    for (Path segment : RaftLogSegments.under(currentDir)) {
      try {
        RaftLogSegments.read(segment, consumer);
      } catch (IOException | RuntimeException e) {
        throw new IOException("Raft log segment " + segment.toAbsolutePath() + " cannot be read (" + e.getMessage()
            + "); --force-new-cluster needs a whole log", e);
      }
    }
  }
}
