package keel.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.command.ProposalObserver;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ServerMetricsTest {
  private static final String FSYNC = "etcd_disk_wal_fsync_duration_seconds";

  private final ServerMetrics metrics = new ServerMetrics(0x8e9e05c52164694dL);

  private static RaftGroupMemberId member(String name) {
    return RaftGroupMemberId.valueOf(RaftPeerId.valueOf(name), RaftGroupId.randomId());
  }

  @Test
  void eachSyncRatisTimesForThisMemberIsObservedInTheFsyncHistogram() {
    RaftGroupMemberId self = member("m1");
    // Ratis creates the log-worker registry, and takes its sync timer, after the hook is installed.
    SegmentedRaftLogMetrics ratis = new SegmentedRaftLogMetrics(self);
    SegmentedRaftLogMetrics otherMember = new SegmentedRaftLogMetrics(member("m2"));
    try (RaftLogSyncTimings.Route route = RaftLogSyncTimings.route(self, metrics::walFsync)) {
      Timekeeper.start(ratis.getSyncTimer()).close();
      Timekeeper.start(ratis.getSyncTimer()).close();
      Timekeeper.start(otherMember.getSyncTimer()).close();
    } finally {
      ratis.unregister();
      otherMember.unregister();
    }

    List<String> lines = ExpositionLines.of(metrics);
    assertThat(value(lines, FSYNC + "_count")).isEqualTo(2);
    assertThat(value(lines, FSYNC + "_bucket{le=\"+Inf\"}")).isEqualTo(2);
    assertThat(value(lines, FSYNC + "_sum")).isGreaterThan(0).isLessThan(1);
  }

  @Test
  void aClosedRouteObservesNothingMore() {
    RaftGroupMemberId self = member("m3");
    SegmentedRaftLogMetrics ratis = new SegmentedRaftLogMetrics(self);
    try {
      RaftLogSyncTimings.route(self, metrics::walFsync).close();
      Timekeeper.start(ratis.getSyncTimer()).close();
    } finally {
      ratis.unregister();
    }
    assertThat(value(ExpositionLines.of(metrics), FSYNC + "_count")).isZero();
  }

  @Test
  void fsyncBucketsAreEtcds() {
    metrics.walFsync(TimeUnit.MICROSECONDS.toNanos(1500));
    metrics.walFsync(TimeUnit.SECONDS.toNanos(20));
    List<String> buckets = ExpositionLines.of(metrics).stream().filter(l -> l.startsWith(FSYNC + "_bucket")).toList();
    assertThat(buckets).containsExactly(
        FSYNC + "_bucket{le=\"0.001\"} 0", FSYNC + "_bucket{le=\"0.002\"} 1", FSYNC + "_bucket{le=\"0.004\"} 1",
        FSYNC + "_bucket{le=\"0.008\"} 1", FSYNC + "_bucket{le=\"0.016\"} 1", FSYNC + "_bucket{le=\"0.032\"} 1",
        FSYNC + "_bucket{le=\"0.064\"} 1", FSYNC + "_bucket{le=\"0.128\"} 1", FSYNC + "_bucket{le=\"0.256\"} 1",
        FSYNC + "_bucket{le=\"0.512\"} 1", FSYNC + "_bucket{le=\"1.024\"} 1", FSYNC + "_bucket{le=\"2.048\"} 1",
        FSYNC + "_bucket{le=\"4.096\"} 1", FSYNC + "_bucket{le=\"8.192\"} 1", FSYNC + "_bucket{le=\"+Inf\"} 2");
  }

  @Test
  void proposalsArePendingUntilTheyComeBackAndRaftFailuresCount() {
    ProposalObserver proposals = metrics.proposals();
    proposals.proposed();
    proposals.proposed();
    proposals.proposed();
    assertThat(value(ExpositionLines.of(metrics), "etcd_server_proposals_pending")).isEqualTo(3);

    proposals.finished("applied", null);
    proposals.finished(null, new EtcdException(EtcdError.TIMEOUT));
    List<String> lines = ExpositionLines.of(metrics);
    assertThat(value(lines, "etcd_server_proposals_pending")).isEqualTo(1);
    assertThat(value(lines, "etcd_server_proposals_failed_total")).isEqualTo(1);
  }

  @Test
  void pageHasEtcdsNamesTypesAndTheJvms() {
    metrics.leaderChanged();
    List<String> lines = ExpositionLines.of(metrics);
    assertThat(lines).contains(
        "# TYPE etcd_server_leader_changes_seen_total counter",
        "# TYPE etcd_server_proposals_pending gauge",
        "# TYPE etcd_server_proposals_failed_total counter",
        "# TYPE " + FSYNC + " histogram",
        "# TYPE etcd_network_client_grpc_received_bytes_total counter");
    assertThat(value(lines, "etcd_server_leader_changes_seen_total")).isEqualTo(1);
    assertThat(value(lines, "etcd_server_id{server_id=\"8e9e05c52164694d\"}")).isEqualTo(1);
    assertThat(lines).anyMatch(l -> l.startsWith("jvm_memory_used_bytes{"));
    assertThat(lines).anyMatch(l -> l.startsWith("jvm_threads_current "));
    assertThat(lines).anyMatch(l -> l.startsWith("# TYPE jvm_gc_collection_seconds "));
    assertThat(lines).anyMatch(l -> l.startsWith("process_cpu_seconds_total "));
  }

  private static double value(List<String> lines, String series) {
    return ExpositionLines.value(lines, series)
        .orElseThrow(() -> new AssertionError(series + " not in:\n" + String.join("\n", lines)));
  }
}
