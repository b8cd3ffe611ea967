package org.apache.ratis.server.impl;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.LogAppender;

/**
 * Keel's ReadIndex: every linearizable read waits for a majority to acknowledge a heartbeat the
 * leader sent after the read reached it, as etcd's ReadIndex does (each read's context rides a new
 * heartbeat round).
 *
 * <p>Ratis 3.2.2's own {@link ReadIndexHeartbeats} answers at once a read whose commit index a
 * majority acknowledged before, and lets a read join a round begun before it arrived. Both are
 * stale-read holes when the leader was frozen (SIGSTOP, a long GC, a paused VM) and a successor
 * committed writes meanwhile: woken, it serves the old value before it learns it was deposed
 * ({@code PausedLeaderReadIT} failed so). Here each read gets a listener of its own, created when
 * the read reaches the leader: it triggers a heartbeat, remembers each follower's next call id,
 * and counts only replies to calls from then on. Reads that arrive before the heartbeat goes out
 * share it, so a burst of reads still costs one round.
 *
 * <p>Lives in Ratis's package because the class it replaces and the leader state holding it are
 * package-private; {@link #install} puts a fresh one into each leader state as it takes over
 * (before it serves any read: a new leader answers reads only once its first entry is applied).
 * {@link #verify} fails a member's start if a Ratis upgrade moved what this relies on.
 */
public final class StrictReadIndex extends ReadIndexHeartbeats {
  private static final String FIELD = "readIndexHeartbeats";
  private static final Field HEARTBEATS = heartbeatsField();

  /** The reads waiting for their round, each with the acknowledgements so far. */
  private final Set<AppendEntriesListener> pending = new LinkedHashSet<>();
  private Exception failure;

  private StrictReadIndex() {}

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
    // Created under the lock that replies take, so no reply to the heartbeat it triggers is missed.
    AppendEntriesListener listener = constructor.apply(commitIndex);
    if (failure != null) {
      listener.getFuture().completeExceptionally(failure);
    } else {
      pending.add(listener);
    }
    return listener;
  }

  @Override
  void onAppendEntriesReply(LogAppender appender, AppendEntriesReplyProto reply,
      Predicate<Predicate<RaftPeerId>> hasMajority) {
    synchronized (this) {
      List<AppendEntriesListener> done = new ArrayList<>();
      // A copy: completing a read runs its callbacks, which may add reads. Any successful reply to
      // a request sent after the read arrived confirms this leader's term to that follower, which
      // is all ReadIndex needs (Raft thesis 6.4; etcd): unlike Ratis, no wait for the follower to
      // have committed as far as the read index (the leader applies up to it before reading). Ratis's
      // condition held reads on a new leader until followers caught up with its log, and leases
      // whose renewals are such reads expired meanwhile (ClusterScenarioIT).
      for (AppendEntriesListener read : List.copyOf(pending)) {
        if (read.receive(appender, reply, hasMajority)) {
          done.add(read);
        }
      }
      done.forEach(pending::remove);
      // A successful reply that still does not count for a waiting read answered a request
      // numbered before that read: the appender may take the call id of a request before the
      // read's trigger and clear the trigger after (Ratis numbers a request before it sends it),
      // and the read would then wait for the next regular heartbeat, half an election timeout
      // away. Ask for one more, once per such reply (the next reply counts).
      if (reply.getServerReply().getSuccess()
          && pending.stream().anyMatch(read -> !read.isAcknowledged(appender.getFollowerId()))) {
        appender.triggerHeartbeat();
      }
    }
  }

  @Override
  void failListeners(Exception e) {
    synchronized (this) {
      if (failure == null) {
        failure = e;
      }
      pending.forEach(read -> read.getFuture().completeExceptionally(e));
      pending.clear();
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
