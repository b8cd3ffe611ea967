package keel.server.raft;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.raftlog.RaftLogIOException;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis 3.2.2's gRPC log appender, sending at once to an idle follower ({@link
 * #getRemainingWaitTime}), minus two ways in which its thread died and so silenced a
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

  /** Whether entries were outstanding when the request being sent was built ({@link #getRemainingWaitTime}). */
  private volatile Boolean outstandingBeforeBuild;

  RaceSafeLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
    super(server, state, follower);
  }

  /**
   * Ratis holds each request to a follower until {@code wait-time.min} (1 ms) has passed since it
   * sent the last one, to batch entries. Keel batches only while entries sent to that follower are
   * not yet acknowledged, as etcd sends while nothing is outstanding: to a follower that has all it
   * was sent, a new entry, or a linearizable read's heartbeat, goes at once (an append that only
   * tells it the new commit index does not count as outstanding). Held, a lone write waited about a
   * millisecond at the leader (a single client's put took 2.6 ms, etcd's 0.5 ms), and a lone read
   * as long (1.4 ms on the leader, 0.14 ms on a one-member cluster).
   */
  @Override
  protected TimeDuration getRemainingWaitTime() {
    // Ratis asks after building a request (which already counts its entries as sent) and before
    // deciding to build one: the first answer is the one taken before that build.
    Boolean beforeBuild = outstandingBeforeBuild;
    outstandingBeforeBuild = null;
    boolean outstanding = beforeBuild != null ? beforeBuild : entriesOutstanding();
    return outstanding ? super.getRemainingWaitTime() : TimeDuration.ZERO;
  }

  /** Entries were sent to the follower that it has not acknowledged yet. */
  private boolean entriesOutstanding() {
    FollowerInfo follower = getFollower();
    return follower.getNextIndex() > follower.getMatchIndex() + 1;
  }

  @Override
  public AppendEntriesRequestProto newAppendEntriesRequest(long callId, boolean heartbeat)
      throws RaftLogIOException {
    outstandingBeforeBuild = entriesOutstanding();
    AppendEntriesRequestProto request = buildAgainIfNextIndexMoved(getFollower()::getNextIndex,
        () -> snapshotOverAGap() != null, () -> super.newAppendEntriesRequest(callId, heartbeat));
    if (request == null) {
      outstandingBeforeBuild = null; // nothing to send: Ratis does not ask how long to hold it
    }
    return request;
  }

  @Override
  public SnapshotInfo shouldInstallSnapshot() {
    SnapshotInfo ratis = super.shouldInstallSnapshot();
    if (ratis != null) {
      return ratis;
    }
    SnapshotInfo snapshot = snapshotOverAGap();
    if (snapshot != null) {
      LOG.info("{}: the entry before {}'s next index {} was purged (log starts at {}) and the snapshot ends at {}:"
          + " sending the snapshot", this, getFollower().getName(), getFollower().getNextIndex(),
          getRaftLog().getStartIndex(), snapshot.getIndex());
    }
    return snapshot;
  }

  /**
   * The leader's latest snapshot when only it can bring the follower on, the entry before the
   * follower's next index being gone ({@link #previousIsGone}); else null.
   */
  private SnapshotInfo snapshotOverAGap() {
    long next = getFollower().getNextIndex();
    boolean previousInLog = next > RaftLog.LEAST_VALID_LOG_INDEX && getRaftLog().getTermIndex(next - 1) != null;
    if (previousInLog) {
      return null; // the usual case, decided without looking for a snapshot (which may list files)
    }
    SnapshotInfo snapshot = getServer().getStateMachine().getLatestSnapshot();
    if (snapshot == null) {
      return null;
    }
    return previousIsGone(next, getRaftLog().getNextIndex(), getFollower().getSnapshotIndex(), snapshot.getIndex())
        ? snapshot : null;
  }

  /**
   * Whether an append to a follower at {@code followerNext}, whose previous entry the leader's log
   * no longer holds, would have to name that entry, so that only a snapshot can bring the follower
   * on.
   *
   * @param leaderNext the leader's next log index (nothing to send when the follower is there)
   * @param followerSnapshotIndex the snapshot the follower last installed from this leader (Ratis
   *     names no previous entry right after it)
   * @param snapshotIndex the last index of the leader's latest snapshot
   */
  static boolean previousIsGone(long followerNext, long leaderNext, long followerSnapshotIndex, long snapshotIndex) {
    if (followerNext <= RaftLog.LEAST_VALID_LOG_INDEX || followerNext >= leaderNext) {
      return false; // no previous entry to name, or nothing to send
    }
    if (followerNext == followerSnapshotIndex + 1 || snapshotIndex == followerNext - 1) {
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
   * {@code build}'s request, or null ("nothing to send now") when Ratis's consistency check of it
   * failed (an {@link IllegalStateException}, or a {@link NullPointerException} for a previous
   * entry it could not name) because {@code nextIndex} moved under it, or because the previous
   * entry is gone ({@code previousGone}: the next turn sends the snapshot instead, see {@link
   * #shouldInstallSnapshot}). A failure for any other reason is Ratis's own and passes through.
   */
  static <T> T buildAgainIfNextIndexMoved(LongSupplier nextIndex, BooleanSupplier previousGone, Build<T> build)
      throws RaftLogIOException {
    long before = nextIndex.getAsLong();
    try {
      return build.build();
    } catch (IllegalStateException | NullPointerException e) {
      long after = nextIndex.getAsLong();
      if (after != before) {
        LOG.debug("the follower's next index moved from {} to {} while a request was built ({}); building it again",
            before, after, e.getMessage());
        return null;
      }
      if (previousGone.getAsBoolean()) {
        LOG.info("no append at next index {} ({}): the snapshot goes instead", before, e.getMessage());
        return null;
      }
      throw e;
    }
  }
}
