package org.apache.ratis.server.impl;

import java.lang.reflect.Field;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.LogAppender;

/**
 * Keel's ReadIndex: every linearizable read waits for a majority to acknowledge a heartbeat the
 * leader sent after the read reached it, as etcd's ReadIndex does, and reads go in rounds, one round
 * in flight at a time, as in etcd's read loop.
 *
 * <p>Ratis 3.2.2's own {@link ReadIndexHeartbeats} answers at once a read whose commit index a
 * majority acknowledged before, and lets a read join a round begun before it arrived. Both are
 * stale-read holes when the leader was frozen (SIGSTOP, a long GC, a paused VM) and a successor
 * committed writes meanwhile: woken, it serves the old value before it learns it was deposed
 * ({@code PausedLeaderReadIT} failed so). Here a read that finds no round in flight starts one: it
 * triggers a heartbeat, remembers each follower's next call id, and counts only replies to calls
 * from then on. A read that arrives while a round is in flight waits for the next round, which
 * starts when that one is acknowledged and carries every read that arrived meanwhile: a thousand
 * concurrent reads cost a heartbeat round each time, not a heartbeat each (sent one per read,
 * they kept the leader's appenders busy and cut read throughput tenfold), and a lone read goes
 * out at once.
 *
 * <p>A round answers with the highest commit index any of its reads found on arrival, so each
 * read is served at or after the commit index of its arrival.
 *
 * <p>Lives in Ratis's package because the class it replaces and the leader state holding it are
 * package-private; {@link #install} puts a fresh one into each leader state as it takes over
 * (before it serves any read: a new leader answers reads only once its first entry is applied).
 * {@link #verify} fails a member's start if a Ratis upgrade moved what this relies on.
 */
public final class StrictReadIndex extends ReadIndexHeartbeats {
  private static final String FIELD = "readIndexHeartbeats";
  private static final Field HEARTBEATS = heartbeatsField();

  /** The round in flight: its heartbeats went out, it waits for a majority; null when none. */
  private AppendEntriesListener round;
  /** The reads that arrived while {@link #round} was in flight (a listener sending nothing); or null. */
  private AppendEntriesListener next;
  /** The highest commit index a read waiting in {@link #next} found on arrival. */
  private long nextCommitIndex;
  /** Starts a round: the leader's listener constructor, which triggers a heartbeat to every follower. */
  private Function<Long, AppendEntriesListener> startRound;
  private Exception failure;

  StrictReadIndex() {} // package-private for StrictReadIndexTest; members get theirs from install

  /** Throws if this Ratis build does not hold its leader's ReadIndex where this class replaces it. */
  public static void verify() {
    if (HEARTBEATS == null) {
      throw new IllegalStateException("this Ratis build keeps no " + FIELD + " in LeaderStateImpl: Keel's strict"
          + " ReadIndex (StrictReadIndex) cannot be installed, and Ratis's own may serve stale reads; use the Ratis"
          + " version Keel's pom.xml pins");
    }
  }

  /** Puts a strict ReadIndex into {@code division}'s leader state, if it leads and has none yet. */
  public static void install(RaftServer.Division division) {
    verify();
    ((RaftServerImpl) division).getRole().getLeaderState().ifPresent(leader -> {
      synchronized (leader) {
        try {
          // Ratis's own has no listener yet: before its first entry is applied a leader answers a
          // read with that entry's future, not through the heartbeats.
          if (!(HEARTBEATS.get(leader) instanceof StrictReadIndex)) {
            HEARTBEATS.set(leader, new StrictReadIndex());
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException("cannot install Keel's strict ReadIndex into " + leader, e);
        }
      }
    });
  }

  @Override
  synchronized AppendEntriesListener addAppendEntriesListener(long commitIndex,
      Function<Long, AppendEntriesListener> constructor) {
    startRound = constructor;
    if (failure != null) {
      AppendEntriesListener failed = new AppendEntriesListener(commitIndex, List.of());
      failed.getFuture().completeExceptionally(failure);
      return failed;
    }
    if (round == null) {
      // Created under the lock that replies take, so no reply to the heartbeat it triggers is missed.
      round = constructor.apply(commitIndex);
      return round;
    }
    if (next == null) {
      next = new AppendEntriesListener(commitIndex, List.of()); // sends nothing: completed by its round
    }
    nextCommitIndex = Math.max(nextCommitIndex, commitIndex);
    return next;
  }

  @Override
  void onAppendEntriesReply(LogAppender appender, AppendEntriesReplyProto reply,
      Predicate<Predicate<RaftPeerId>> hasMajority) {
    synchronized (this) {
      if (round == null) {
        return;
      }
      // Any successful reply to a request sent after the round began confirms this leader's term
      // to that follower, which is all ReadIndex needs (Raft thesis 6.4; etcd): unlike Ratis, no
      // wait for the follower to have committed as far as the read index (the leader applies up
      // to it before reading). Ratis's condition held reads on a new leader until followers caught
      // up with its log, and leases whose renewals are such reads expired meanwhile
      // (ClusterScenarioIT).
      if (round.receive(appender, reply, hasMajority)) {
        round = null;
        startNextRound();
      } else if (reply.getServerReply().getSuccess() && !round.isAcknowledged(appender.getFollowerId())) {
        // A successful reply that still does not count answered a request numbered before the
        // round: the appender may take the call id of a request before the round's trigger and
        // clear the trigger after (Ratis numbers a request before it sends it), and the round
        // would then wait for the next regular heartbeat, half an election timeout away. Ask for
        // one more (the next reply counts).
        appender.triggerHeartbeat();
      }
    }
  }

  /** The reads that waited while the last round was in flight become the round in flight. */
  private void startNextRound() {
    if (next == null) {
      return;
    }
    AppendEntriesListener waiting = next;
    next = null;
    round = startRound.apply(nextCommitIndex);
    nextCommitIndex = 0;
    round.getFuture().whenComplete((index, error) -> {
      if (error != null) {
        waiting.getFuture().completeExceptionally(error);
      } else {
        waiting.getFuture().complete(index);
      }
    });
  }

  @Override
  void failListeners(Exception e) {
    synchronized (this) {
      if (failure == null) {
        failure = e;
      }
      for (AppendEntriesListener read : java.util.Arrays.asList(round, next)) {
        if (read != null) {
          read.getFuture().completeExceptionally(e);
        }
      }
      round = null;
      next = null;
    }
  }

  private static Field heartbeatsField() {
    try {
      Field field = LeaderStateImpl.class.getDeclaredField(FIELD);
      if (!ReadIndexHeartbeats.class.equals(field.getType())) {
        return null;
      }
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException | RuntimeException e) {
      return null;
    }
  }
}
