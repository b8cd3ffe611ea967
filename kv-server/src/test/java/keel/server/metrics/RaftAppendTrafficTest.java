package keel.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.grpc.metrics.GrpcServerMetrics;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.metrics.RaftServerMetricsImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Drives Ratis's own metric classes as its follower and its gRPC log appender do. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RaftAppendTrafficTest {
  static {
    RaftAppendTraffic.install();
  }

  private final AppendStats stats = new AppendStats();

  private static RaftGroupMemberId member(String name) {
    return RaftGroupMemberId.valueOf(RaftPeerId.valueOf(name), RaftGroupId.randomId());
  }

  private static RaftServerMetricsImpl followerMetrics(RaftGroupMemberId member) {
    return new RaftServerMetricsImpl(member, peer -> 0, () -> null);
  }

  @Test
  void appendsWithEntriesThatAFollowerHandledAreReceivedHeartbeatsAreNot() {
    RaftGroupMemberId self = member("f1");
    try (RaftLogSyncTimings.Route route = RaftAppendTraffic.route(self, List.of(), stats)) {
      RaftServerMetricsImpl ratis = followerMetrics(self);
      RaftServerMetricsImpl otherMember = followerMetrics(member("f2"));
      try {
        Timekeeper.start(ratis.getFollowerAppendEntryTimer(false)).close();
        Timekeeper.start(ratis.getFollowerAppendEntryTimer(false)).close();
        Timekeeper.start(ratis.getFollowerAppendEntryTimer(true)).close();
        Timekeeper.start(otherMember.getFollowerAppendEntryTimer(false)).close();
      } finally {
        ratis.unregister();
        otherMember.unregister();
      }
    }
    assertThat(stats.received().count()).isEqualTo(2);
    assertThat(stats.sent().count()).isZero();
  }

  @Test
  void theLeaderCountsAppendsItMadeAndEachFollowersRepliesAndTimeouts() {
    RaftGroupMemberId self = member("l1");
    try (RaftLogSyncTimings.Route route = RaftAppendTraffic.route(self,
        List.of(RaftPeerId.valueOf("l2"), RaftPeerId.valueOf("l3")), stats)) {
      // One GrpcServerMetrics per follower's appender, sharing the member's registry.
      GrpcServerMetrics toL2 = new GrpcServerMetrics(self.toString());
      GrpcServerMetrics toL3 = new GrpcServerMetrics(self.toString());
      try {
        toL2.onRequestCreate(false);
        toL3.onRequestCreate(false);
        toL2.onRequestCreate(false);
        toL2.onRequestCreate(true);

        // A reply from l2, then a timeout as GrpcLogAppender records it: counted, then the timer stopped.
        Timekeeper.start(toL2.getGrpcLogAppenderLatencyTimer("l2", false)).close();
        Timekeeper.Context timedOut = toL2.getGrpcLogAppenderLatencyTimer("l2", false).time();
        toL2.onRequestTimeout("l2", false);
        timedOut.stop();
        // Heartbeats are not appends in etcd's sense.
        Timekeeper.start(toL2.getGrpcLogAppenderLatencyTimer("l2", true)).close();
        toL2.onRequestTimeout("l2", true);
        Timekeeper.start(toL3.getGrpcLogAppenderLatencyTimer("l3", false)).close();
        Timekeeper.start(toL3.getGrpcLogAppenderLatencyTimer("l3", false)).close();
      } finally {
        toL2.unregister();
        toL3.unregister();
      }
    }
    assertThat(stats.sent().count()).isEqualTo(3);
    AppendStats.FollowerStats l2 = stats.follower("l2");
    assertThat(l2.success()).isEqualTo(1);
    assertThat(l2.fail()).isEqualTo(1);
    assertThat(l2.maximum()).isEqualTo(l2.minimum()).isGreaterThanOrEqualTo(0);
    assertThat(stats.follower("l3").success()).isEqualTo(2);
    assertThat(stats.received().count()).isZero();
  }

  @Test
  void aLeaderRegistryMadeAgainAfterRatisDroppedItStillCounts() {
    RaftGroupMemberId self = member("r1");
    try (RaftLogSyncTimings.Route route = RaftAppendTraffic.route(self, List.of(RaftPeerId.valueOf("r2")), stats)) {
      for (int term = 0; term < 2; term++) {
        GrpcServerMetrics ratis = new GrpcServerMetrics(self.toString());
        try {
          ratis.onRequestCreate(false);
          Timekeeper.start(ratis.getGrpcLogAppenderLatencyTimer("r2", false)).close();
        } finally {
          ratis.unregister();
        }
      }
    }
    assertThat(stats.sent().count()).isEqualTo(2);
    assertThat(stats.follower("r2").success()).isEqualTo(2);
  }

  @Test
  void aClosedRouteCountsNothingMore() {
    RaftGroupMemberId self = member("c1");
    RaftLogSyncTimings.Route route = RaftAppendTraffic.route(self, List.of(RaftPeerId.valueOf("c2")), stats);
    GrpcServerMetrics leader = new GrpcServerMetrics(self.toString());
    RaftServerMetricsImpl follower = followerMetrics(self);
    route.close();
    try {
      leader.onRequestCreate(false);
      Timekeeper.start(leader.getGrpcLogAppenderLatencyTimer("c2", false)).close();
      Timekeeper.start(follower.getFollowerAppendEntryTimer(false)).close();
    } finally {
      leader.unregister();
      follower.unregister();
    }
    assertThat(stats.sent().count()).isZero();
    assertThat(stats.received().count()).isZero();
    assertThat(stats.follower("c2").success()).isZero();
  }
}
