package keel.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.command.ProposalObserver;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.mvcc.LeaseLookup;
import keel.server.mvcc.MvccCounters;
import keel.server.mvcc.MvccStore;
import keel.server.statemachine.StateMachineObserver;
import keel.server.watch.WatchCounts;
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

  private final ServerMetrics metrics = new ServerMetrics(0x8e9e05c52164694dL, "3.4.0");

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

  @Test
  void versionsAreLabelsOfGaugesAtOne() {
    List<String> lines = ExpositionLines.of(metrics);
    assertThat(lines).contains("# TYPE etcd_server_version gauge", "# TYPE etcd_server_go_version gauge");
    assertThat(value(lines, "etcd_server_version{server_version=\"3.4.0\"}")).isEqualTo(1);
    assertThat(lines).anyMatch(l -> l.matches("etcd_server_go_version\\{server_go_version=\"java[0-9].*\"} 1(\\.0)?"));
  }

  @Test
  void mvccCountsAreReadWhenScrapedUnderBothOfEtcdsNames() {
    MvccCounters counters = new MvccCounters();
    metrics.mvcc(counters);
    MvccStore store = new MvccStore(counters);
    store.put(io.etcd.jetcd.api.PutRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("k"))
        .setValue(com.google.protobuf.ByteString.copyFromUtf8("vv")).setPrevKv(true).build(), LeaseLookup.NONE);
    List<String> lines = ExpositionLines.of(metrics);
    for (String prefix : List.of("etcd_mvcc_", "etcd_debugging_mvcc_")) {
      assertThat(lines).contains("# TYPE " + prefix + "range_total counter", "# TYPE " + prefix + "put_total counter",
          "# TYPE " + prefix + "delete_total counter", "# TYPE " + prefix + "txn_total counter");
      assertThat(value(lines, prefix + "put_total")).isEqualTo(1);
      assertThat(value(lines, prefix + "range_total")).isEqualTo(1);
      assertThat(value(lines, prefix + "txn_total")).isEqualTo(1);
      assertThat(value(lines, prefix + "delete_total")).isZero();
    }
    assertThat(lines).contains("# TYPE etcd_debugging_mvcc_total_put_size_in_bytes gauge",
        "# TYPE etcd_debugging_mvcc_db_compaction_keys_total counter");
    assertThat(value(lines, "etcd_debugging_mvcc_total_put_size_in_bytes")).isEqualTo(3);
  }

  @Test
  void watchCountsAreEtcdsGaugesAndEventCounter() {
    WatchCounts counts = new WatchCounts();
    metrics.watches(counts);
    counts.streamOpened();
    List<String> lines = ExpositionLines.of(metrics);
    assertThat(lines).contains(
        "# TYPE etcd_debugging_mvcc_watch_stream_total gauge",
        "# TYPE etcd_debugging_mvcc_watcher_total gauge",
        "# TYPE etcd_debugging_mvcc_slow_watcher_total gauge",
        "# TYPE etcd_debugging_mvcc_pending_events_total gauge",
        "# TYPE etcd_debugging_mvcc_events_total counter");
    assertThat(value(lines, "etcd_debugging_mvcc_watch_stream_total")).isEqualTo(1);
    assertThat(value(lines, "etcd_debugging_mvcc_watcher_total")).isZero();
  }

  @Test
  void leasesAreCountedWithEtcdsTtlBuckets() {
    StateMachineObserver observer = metrics.stateMachine();
    observer.granted(1, 5);
    observer.granted(2, 9_000_000);
    observer.revoked(1);
    metrics.leaderLeases(() -> 7, () -> 2);
    List<String> lines = ExpositionLines.of(metrics);
    assertThat(lines).contains(
        "# TYPE etcd_debugging_lease_granted_total counter",
        "# TYPE etcd_debugging_lease_revoked_total counter",
        "# TYPE etcd_debugging_lease_renewed_total counter",
        "# TYPE etcd_debugging_lease_ttl_total histogram",
        "# TYPE etcd_debugging_server_lease_expired_total counter");
    assertThat(value(lines, "etcd_debugging_lease_granted_total")).isEqualTo(2);
    assertThat(value(lines, "etcd_debugging_lease_revoked_total")).isEqualTo(1);
    assertThat(value(lines, "etcd_debugging_lease_renewed_total")).isEqualTo(7);
    assertThat(value(lines, "etcd_debugging_server_lease_expired_total")).isEqualTo(2);
    // etcd: 1 s doubling, 24 buckets, the last at 2^23 s
    List<Double> bounds = bucketBounds(lines, "etcd_debugging_lease_ttl_total");
    assertThat(bounds).hasSize(24 + 1).startsWith(1.0, 2.0, 4.0).contains(8_388_608.0);
    assertThat(value(lines, "etcd_debugging_lease_ttl_total_bucket{le=\"8.0\"}")).isEqualTo(1);
    assertThat(value(lines, "etcd_debugging_lease_ttl_total_bucket{le=\"8388608.0\"}")).isEqualTo(1);
    assertThat(value(lines, "etcd_debugging_lease_ttl_total_count")).isEqualTo(2);
  }

  @Test
  void snapshotsSavedAreObservedWithEtcdsBucketsAndAnInstallIsAGauge() {
    metrics.stateMachine().snapshotSaved(TimeUnit.MILLISECONDS.toNanos(3));
    boolean[] installing = {true};
    metrics.member(() -> installing[0], () -> false);
    List<String> lines = ExpositionLines.of(metrics);
    assertThat(lines).contains("# TYPE etcd_debugging_snap_save_total_duration_seconds histogram",
        "# TYPE etcd_server_snapshot_apply_in_progress_total gauge", "# TYPE etcd_server_is_learner gauge");
    assertThat(bucketBounds(lines, "etcd_debugging_snap_save_total_duration_seconds")).containsExactly(
        0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192,
        Double.POSITIVE_INFINITY);
    assertThat(value(lines, "etcd_debugging_snap_save_total_duration_seconds_bucket{le=\"0.004\"}")).isEqualTo(1);
    assertThat(value(lines, "etcd_server_snapshot_apply_in_progress_total")).isEqualTo(1);
    assertThat(value(lines, "etcd_server_is_learner")).isZero();
    installing[0] = false;
    assertThat(value(ExpositionLines.of(metrics), "etcd_server_snapshot_apply_in_progress_total")).isZero();
  }

  /** The {@code le} bounds of a histogram's buckets, in page order. */
  private static List<Double> bucketBounds(List<String> lines, String histogram) {
    String prefix = histogram + "_bucket{le=\"";
    return lines.stream().filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length(), l.indexOf('"', prefix.length())))
        .map(le -> le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le))
        .toList();
  }

  private static double value(List<String> lines, String series) {
    return ExpositionLines.value(lines, series)
        .orElseThrow(() -> new AssertionError(series + " not in:\n" + String.join("\n", lines)));
  }
}
