package org.apache.ratis.server.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcReplyProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.leader.LogAppender;
import org.junit.jupiter.api.Test;

class StrictReadIndexTest {
  /** A follower's appender as the read index sees it: its next call id, and the heartbeats asked of it. */
  private static final class Follower {
    final RaftPeerId id;
    final AtomicLong nextCallId = new AtomicLong(1);
    final AtomicInteger heartbeatsAsked = new AtomicInteger();
    final LogAppender appender;

    Follower(String name) {
      this.id = RaftPeerId.valueOf(name);
      this.appender = (LogAppender) Proxy.newProxyInstance(LogAppender.class.getClassLoader(),
          new Class<?>[] {LogAppender.class}, (proxy, method, args) -> switch (method.getName()) {
            case "getFollowerId" -> id;
            case "getCallId" -> nextCallId.get();
            case "getCallIdComparator" -> Comparator.<Long>naturalOrder();
            case "triggerHeartbeat" -> {
              heartbeatsAsked.incrementAndGet();
              yield null;
            }
            case "toString" -> "appender to " + id;
            default -> throw new UnsupportedOperationException(method.getName());
          });
    }

    /** The follower answers the request with this call id, successfully. */
    AppendEntriesReplyProto reply(long callId) {
      return AppendEntriesReplyProto.newBuilder()
          .setServerReply(RaftRpcReplyProto.newBuilder().setSuccess(true).setCallId(callId))
          .build();
    }

    /** The appender sends its next request (a heartbeat or entries) and returns its call id. */
    long send() {
      return nextCallId.getAndIncrement();
    }
  }

  private final Follower f1 = new Follower("f1");
  private final Follower f2 = new Follower("f2");
  private final StrictReadIndex reads = new StrictReadIndex();
  /** Three members: the leader and one follower are a majority. */
  private final Predicate<Predicate<RaftPeerId>> hasMajority = acked -> acked.test(f1.id) || acked.test(f2.id);
  /** What the leader state passes: a listener that asks every follower for a heartbeat. */
  private final Function<Long, ReadIndexHeartbeats.AppendEntriesListener> newRound =
      index -> new ReadIndexHeartbeats.AppendEntriesListener(index, List.of(f1.appender, f2.appender));

  private CompletableFuture<Long> read(long commitIndex) {
    return reads.addAppendEntriesListener(commitIndex, newRound).getFuture();
  }

  @Test
  void aLoneReadSendsAHeartbeatAtOnceAndIsAnsweredByAMajoritysReply() {
    CompletableFuture<Long> read = read(7);
    assertThat(f1.heartbeatsAsked).hasValue(1);
    assertThat(f2.heartbeatsAsked).hasValue(1);
    reads.onAppendEntriesReply(f1.appender, f1.reply(f1.send()), hasMajority);
    assertThat(read).isCompletedWithValue(7L);
  }

  @Test
  void readsArrivingDuringARoundWaitForTheNextOneWhichAnswersTheHighestCommitIndexAmongThem() {
    CompletableFuture<Long> first = read(7);
    long beforeSecondRound = f1.send(); // a request on the wire before the second round begins
    CompletableFuture<Long> second = read(8);
    CompletableFuture<Long> third = read(9);
    assertThat(f1.heartbeatsAsked).as("one round in flight: no heartbeat per read").hasValue(1);

    reads.onAppendEntriesReply(f2.appender, f2.reply(f2.send()), hasMajority);
    assertThat(first).isCompletedWithValue(7L);
    assertThat(second).isNotDone();
    assertThat(f1.heartbeatsAsked).as("the next round starts when the first is acknowledged").hasValue(2);

    // A reply to a request sent before the round began does not count, and asks for one more.
    reads.onAppendEntriesReply(f1.appender, f1.reply(beforeSecondRound), hasMajority);
    assertThat(second).isNotDone();
    assertThat(f1.heartbeatsAsked).hasValue(3);

    reads.onAppendEntriesReply(f1.appender, f1.reply(f1.send()), hasMajority);
    assertThat(second).isCompletedWithValue(9L);
    assertThat(third).isCompletedWithValue(9L);
  }

  @Test
  void aReplyToARequestSentBeforeTheReadArrivedNeverAnswersIt() {
    long earlier = f1.send();
    CompletableFuture<Long> read = read(3);
    reads.onAppendEntriesReply(f1.appender, f1.reply(earlier), hasMajority);
    assertThat(read).isNotDone();
  }

  @Test
  void aLeaderThatStepsDownFailsTheRoundInFlightTheWaitingReadsAndEveryLaterRead() {
    CompletableFuture<Long> inFlight = read(1);
    CompletableFuture<Long> waiting = read(2);
    reads.failListeners(new IllegalStateException("not leader"));
    assertThat(inFlight).isCompletedExceptionally();
    assertThat(waiting).isCompletedExceptionally();
    assertThat(read(3)).isCompletedExceptionally();
  }
}
