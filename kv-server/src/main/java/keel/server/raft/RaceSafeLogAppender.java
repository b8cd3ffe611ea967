package keel.server.raft;

import java.util.function.LongSupplier;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.raftlog.RaftLogIOException;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis 3.2.2's gRPC log appender, minus two ways in which its thread died and so silenced a
 * follower for as long as the leader led (Ratis 3.2.2 never restarts a failed appender,
 * RATIS-2499, fixed after 3.2.2). Both were found by the torture run:
 *
 * <ul>
 *   <li>A race: building an append request reads the follower's next index twice, once for the
 *       previous entry and once for the first entry to send; a reply handled in between moves it,
 *       and Ratis's own check then fails the request ("Previous = (t:2, i:807) but firstIndex =
 *       812", or a null previous). A request built across such a move is simply built again on
 *       the appender's next turn (a member stayed 5 minutes where it was).
 *   <li>A gap: a follower whose next index is the first entry of the leader's log, where the entry
 *       before it was purged with a segment and is not the snapshot's last either. Ratis sends a
 *       snapshot only to a follower below the log's start, so it built an append whose previous
 *       entry it could not name and failed ("Previous TermIndex not found for firstIndex"): a
 *       member restarted after kill -9 got nothing for 6 and 9 minutes. Such a follower now gets
 *       the snapshot ({@link #shouldInstallSnapshot}), as a follower below the start does (Ratis
 *       does the same since RATIS-2487).
 * </ul>
 *
 * Any other failure is left to Ratis.
 */
final class RaceSafeLogAppender extends GrpcLogAppender {
  private static final Logger LOG = LoggerFactory.getLogger(RaceSafeLogAppender.class);

  RaceSafeLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
    super(server, state, follower);
  }

  @Override
  public AppendEntriesRequestProto newAppendEntriesRequest(long callId, boolean heartbeat)
      throws RaftLogIOException {
    return buildAgainIfNextIndexMoved(getFollower()::getNextIndex,
        () -> super.newAppendEntriesRequest(callId, heartbeat));
  }

  @Override
  public SnapshotInfo shouldInstallSnapshot() {
    SnapshotInfo ratis = super.shouldInstallSnapshot();
    if (ratis != null) {
      return ratis;
    }
    SnapshotInfo snapshot = getServer().getStateMachine().getLatestSnapshot();
    if (snapshot == null) {
      return null;
    }
    long next = getFollower().getNextIndex();
    boolean previousInLog = next > RaftLog.LEAST_VALID_LOG_INDEX && getRaftLog().getTermIndex(next - 1) != null;
    if (!previousIsGone(next, getRaftLog().getNextIndex(), getFollower().getSnapshotIndex(), previousInLog,
        snapshot.getIndex())) {
      return null;
    }
    LOG.info("{}: the entry before {}'s next index {} was purged (log starts at {}) and the snapshot ends at {}:"
        + " sending the snapshot", this, getFollower().getName(), next, getRaftLog().getStartIndex(), snapshot.getIndex());
    return snapshot;
  }

  /**
   * Whether an append to a follower at {@code followerNext} would have to name a previous entry
   * the leader no longer knows, so that only a snapshot can bring the follower on.
   *
   * @param leaderNext the leader's next log index (nothing to send when the follower is there)
   * @param followerSnapshotIndex the snapshot the follower last installed from this leader (Ratis
   *     names no previous entry right after it)
   * @param previousInLog whether the leader's log still holds the entry at {@code followerNext - 1}
   * @param snapshotIndex the last index of the leader's latest snapshot
   */
  static boolean previousIsGone(long followerNext, long leaderNext, long followerSnapshotIndex, boolean previousInLog,
      long snapshotIndex) {
    if (followerNext <= RaftLog.LEAST_VALID_LOG_INDEX || followerNext >= leaderNext) {
      return false; // no previous entry to name, or nothing to send
    }
    if (followerNext == followerSnapshotIndex + 1 || previousInLog || snapshotIndex == followerNext - 1) {
      return false; // the previous entry is known, or not needed
    }
    return snapshotIndex > followerNext - 1; // the snapshot covers it; an older one would not help
  }

  /** Builds a request; Ratis's own failures pass through. */
  @FunctionalInterface
  interface Build<T> {
    T build() throws RaftLogIOException;
  }

  /**
   * {@code build}'s request, or null ("nothing to send now") when it failed its consistency check
   * while {@code nextIndex} moved under it, or could not name the previous entry (the next turn
   * sends the snapshot instead, see {@link #shouldInstallSnapshot}).
   */
  static <T> T buildAgainIfNextIndexMoved(LongSupplier nextIndex, Build<T> build) throws RaftLogIOException {
    long before = nextIndex.getAsLong();
    try {
      return build.build();
    } catch (IllegalStateException e) {
      long after = nextIndex.getAsLong();
      if (after == before) {
        throw e;
      }
      LOG.debug("the follower's next index moved from {} to {} while a request was built ({}); building it again",
          before, after, e.getMessage());
      return null;
    } catch (NullPointerException e) {
      if (e.getMessage() == null || !e.getMessage().contains("Previous TermIndex not found")) {
        throw e;
      }
      LOG.info("no append at next index {} ({}): the snapshot goes instead", before, e.getMessage());
      return null;
    }
  }
}
