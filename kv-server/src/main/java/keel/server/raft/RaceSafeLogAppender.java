package keel.server.raft;

import java.util.function.LongSupplier;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.raftlog.RaftLogIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis 3.2.2's gRPC log appender, minus a race that silenced a follower for as long as the
 * leader led (found by the torture run: a member stayed 5 minutes at the log index where it
 * was, no error after the first). Building an append request reads the follower's next index
 * twice, once for the previous entry and once for the first entry to send; a reply handled in
 * between moves it, and Ratis's own check then fails the request ("Previous = (t:2, i:807) but
 * firstIndex = 812"). That failure ends the appender's thread, and Ratis 3.2.2 never restarts a
 * failed appender (RATIS-2499, fixed after 3.2.2). Here a request built across such a move is
 * simply built again on the appender's next turn; any other failure is left to Ratis.
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

  /** Builds a request; Ratis's own failures pass through. */
  @FunctionalInterface
  interface Build<T> {
    T build() throws RaftLogIOException;
  }

  /**
   * {@code build}'s request, or null ("nothing to send now") when it failed its consistency check
   * while {@code nextIndex} moved under it.
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
    }
  }
}
