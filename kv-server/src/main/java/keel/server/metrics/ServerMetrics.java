package keel.server.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import keel.server.command.ProposalObserver;
import keel.server.errors.EtcdException;
import keel.server.mvcc.MvccStore;
import keel.server.raft.MemberIds;
import keel.server.raft.RatisNode;

/**
 * One member's metrics under etcd 3.4's names, types and label names, so that dashboards and
 * alerts written for etcd work unchanged. The HELP texts are Keel's own.
 *
 * <p>Every member has its own registry: several members share a JVM in tests and in
 * {@code keel demo}, and each must report its own Raft state. JVM and process metrics describe the
 * JVM, so they are one shared set, written into every member's page.
 *
 * <p>Gauges read live state when scraped ({@link #watch}). Counters and the fsync histogram are fed
 * by one-line hooks elsewhere: {@link #leaderChanged} from the state machine, {@link #proposals}
 * from the proposer, {@link #grpc} as an interceptor on the gRPC services, and Ratis's log worker
 * through {@link RaftLogSyncTimings}. Ratis's append counts and timings go to {@link #appends()},
 * for etcd's v2 stats, through {@link RaftAppendTraffic}.
 */
public final class ServerMetrics implements AutoCloseable {
  /** The content type etcd 3.4 answers /metrics with (Prometheus text format 0.0.4). */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
  private static final PrometheusTextFormatWriter TEXT = PrometheusTextFormatWriter.create();
  /** etcd's WAL fsync buckets: 1 ms doubling to 8.192 s. */
  private static final int FSYNC_BUCKETS = 14;

  static {
    // Before any Raft server exists: only registries created afterwards are hooked.
    RaftLogSyncTimings.install();
    RaftAppendTraffic.install();
  }

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter leaderChanges;
  private final Gauge proposalsPending;
  private final Counter proposalsFailed;
  private final Histogram walFsync;
  private final GrpcMetrics grpc;
  private final AppendStats appends = new AppendStats();
  private volatile RaftLogSyncTimings.Route fsyncRoute = () -> { };
  private volatile RaftLogSyncTimings.Route appendRoute = () -> { };

  public ServerMetrics(long memberId) {
    leaderChanges = Counter.builder().name("etcd_server_leader_changes_seen_total")
        .help("Times this member saw a new leader, its first one included.").register(registry);
    proposalsPending = Gauge.builder().name("etcd_server_proposals_pending")
        .help("Proposals this member handed to Raft that have not come back yet.").register(registry);
    proposalsFailed = Counter.builder().name("etcd_server_proposals_failed_total")
        .help("Proposals of this member that Raft failed (timeout, no leader, back-pressure).").register(registry);
    walFsync = Histogram.builder().name("etcd_disk_wal_fsync_duration_seconds")
        .help("Time to write and fsync the Raft log on each sync of its open segment.")
        .classicOnly().classicExponentialUpperBounds(0.001, 2, FSYNC_BUCKETS).register(registry);
    GaugeWithCallback.builder().name("etcd_server_id")
        .help("Always 1; the label server_id is this member's id in hexadecimal.")
        .labelNames("server_id").callback(cb -> cb.call(1, MemberIds.hex(memberId))).register(registry);
    grpc = new GrpcMetrics(registry);
  }

  /**
   * Registers the gauges that read this member's Raft state and store, routes its Raft log's sync
   * timings into the fsync histogram and its append traffic into {@link #appends()}. Called once,
   * when the Raft server exists and before it starts.
   *
   * @param store the current store (a snapshot install replaces it)
   * @param quotaBytes the space quota, as the member enforces it
   */
  public void watch(RatisNode node, Supplier<MvccStore> store, long quotaBytes) {
    gauge("etcd_server_has_leader", "1 while this member knows a leader, else 0.",
        () -> flag(() -> node.leaderPeer() != null));
    gauge("etcd_server_is_leader", "1 while this member is the leader, else 0.", () -> flag(node::isLeader));
    gauge("etcd_server_proposals_committed_total", "Raft log index this member knows to be committed.",
        node::commitIndex);
    gauge("etcd_server_proposals_applied_total", "Raft log index this member has applied to its store.",
        node::appliedIndex);
    gauge("etcd_mvcc_db_total_size_in_bytes",
        "Size of the key-value store as the space quota counts it: what it held before the last compaction"
            + " until a defragment, else what it holds (keys and values of every revision kept).",
        () -> store.get().dbSizeBytes());
    gauge("etcd_mvcc_db_total_size_in_use_in_bytes",
        "What the key-value store holds: keys and values of every revision kept.",
        () -> store.get().sizeBytes());
    gauge("etcd_server_quota_backend_bytes", "The space quota (--quota-backend-bytes); 0 when there is none.",
        () -> Math.max(0, quotaBytes));
    gauge("etcd_debugging_mvcc_keys_total", "Keys that exist at the current revision (deleted ones excluded).",
        () -> store.get().liveKeys());
    fsyncRoute = RaftLogSyncTimings.route(node.raftMemberId(), this::walFsync);
    appendRoute = RaftAppendTraffic.route(node.raftMemberId(), node.otherPeers(), appends);
  }

  /** This member's Raft appends, for etcd's {@code /v2/stats/self} and {@code /v2/stats/leader}. */
  public AppendStats appends() {
    return appends;
  }

  /** Hook for the state machine: Ratis reported a new leader. */
  public void leaderChanged() {
    leaderChanges.inc();
  }

  /** Hook for the proposer. */
  public ProposalObserver proposals() {
    return new ProposalObserver() {
      @Override
      public void proposed() {
        proposalsPending.inc();
      }

      @Override
      public void finished(Object reply, Throwable failure) {
        proposalsPending.dec();
        if (failure != null) {
          proposalsFailed.inc();
        }
      }
    };
  }

  /** The interceptor to put on every gRPC service. */
  public GrpcMetrics grpc() {
    return grpc;
  }

  /** One sync of the Raft log, in nanoseconds. */
  void walFsync(long nanos) {
    walFsync.observe(nanos / 1e9);
  }

  /** Writes this member's metrics and the JVM's in Prometheus text format 0.0.4, sorted by name. */
  public void writeTo(OutputStream out) throws IOException {
    List<MetricSnapshot> all = new ArrayList<>();
    registry.scrape().forEach(all::add);
    Jvm.REGISTRY.scrape().forEach(all::add);
    TEXT.write(out, new MetricSnapshots(all));
  }

  /** Stops routing Ratis's timings here (a restarted member in this JVM routes them to itself). */
  @Override
  public void close() {
    fsyncRoute.close();
    appendRoute.close();
  }

  private void gauge(String name, String help, LongSupplier value) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> {
      try {
        cb.call(value.getAsLong());
      } catch (EtcdException stopped) {
        // The Raft server is shutting down: no sample rather than a failed scrape.
      }
    }).register(registry);
  }

  private static long flag(BooleanSupplier condition) {
    return condition.getAsBoolean() ? 1 : 0;
  }

  /** JVM and process metrics, registered once per JVM and shared by every member's page. */
  private static final class Jvm {
    static final PrometheusRegistry REGISTRY = new PrometheusRegistry();

    static {
      JvmMetrics.builder().register(REGISTRY);
    }
  }
}
