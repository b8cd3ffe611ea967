package keel.server.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
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
import keel.server.mvcc.MvccCounters;
import keel.server.mvcc.MvccStore;
import keel.server.raft.MemberIds;
import keel.server.raft.RatisNode;
import keel.server.statemachine.StateMachineObserver;
import keel.server.watch.WatchCounts;

/**
 * One member's metrics under etcd 3.4's names, types and label names, so that dashboards and
 * alerts written for etcd work unchanged. The HELP texts are Keel's own.
 *
 * <p>Every member has its own registry: several members share a JVM in tests and in
 * {@code keel demo}, and each must report its own Raft state. JVM and process metrics describe the
 * JVM, so they are one shared set, written into every member's page.
 *
 * <p>Gauges read live state when scraped ({@link #watch}, {@link #member}). So do the counters of
 * the stores, the watch hub and the leader's lease clocks, which those count themselves without
 * Prometheus ({@link #mvcc}, {@link #watches}, {@link #leaderLeases}). Other counters and the
 * histograms are fed by one-line hooks elsewhere: {@link #stateMachine} from the state machine
 * (leader changes, lease grants and revokes, snapshots saved), {@link #proposals} from the
 * proposer, {@link #grpc} as an interceptor on the gRPC services, and Ratis's log worker through
 * {@link RaftLogSyncTimings}. Ratis's append counts and timings go to {@link #appends()}, for
 * etcd's v2 stats, through {@link RaftAppendTraffic}.
 */
public final class ServerMetrics implements AutoCloseable {
  /** The content type etcd 3.4 answers /metrics with (Prometheus text format 0.0.4). */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
  private static final PrometheusTextFormatWriter TEXT = PrometheusTextFormatWriter.create();
  /** etcd's WAL fsync buckets: 1 ms doubling to 8.192 s. */
  private static final int FSYNC_BUCKETS = 14;
  /** etcd's snapshot save buckets: 1 ms doubling to 8.192 s, as the fsync ones. */
  private static final int SNAPSHOT_SAVE_BUCKETS = 14;
  /** etcd's lease TTL buckets: 1 s doubling to 2^23 s (about 3 months). */
  private static final int LEASE_TTL_BUCKETS = 24;

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
  private final Histogram snapshotSave;
  private final Counter leasesGranted;
  private final Counter leasesRevoked;
  private final Histogram leaseTtls;
  private final GrpcMetrics grpc;
  private final AppendStats appends = new AppendStats();
  private volatile RaftLogSyncTimings.Route fsyncRoute = () -> { };
  private volatile RaftLogSyncTimings.Route appendRoute = () -> { };

  /**
   * @param serverVersion the etcd version whose API the member serves, for
   *     {@code etcd_server_version} (etcd's own release there)
   */
  public ServerMetrics(long memberId, String serverVersion) {
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
    GaugeWithCallback.builder().name("etcd_server_version")
        .help("Always 1; the label server_version is the etcd version whose API this member serves.")
        .labelNames("server_version").callback(cb -> cb.call(1, serverVersion)).register(registry);
    String javaVersion = "java" + Runtime.version();
    GaugeWithCallback.builder().name("etcd_server_go_version")
        .help("Always 1. Keel runs on a JVM, not Go: the label server_go_version is the Java runtime's"
            + " version, written java<version> as etcd writes go<version>.")
        .labelNames("server_go_version").callback(cb -> cb.call(1, javaVersion)).register(registry);
    snapshotSave = Histogram.builder().name("etcd_debugging_snap_save_total_duration_seconds")
        .help("Time to save a snapshot this member took of its state: every store serialized, written and"
            + " synced to one file, with its checksum file. Not observed for a snapshot received from the leader.")
        .classicOnly().classicExponentialUpperBounds(0.001, 2, SNAPSHOT_SAVE_BUCKETS).register(registry);
    leasesGranted = Counter.builder().name("etcd_debugging_lease_granted_total")
        .help("Leases granted, counted on every member as it applies the grant.").register(registry);
    leasesRevoked = Counter.builder().name("etcd_debugging_lease_revoked_total")
        .help("Leases revoked, on request or on expiry, counted on every member as it applies the revoke.")
        .register(registry);
    leaseTtls = Histogram.builder().name("etcd_debugging_lease_ttl_total")
        .help("TTLs in seconds of the leases granted, after raising a TTL below the minimum to it.")
        .classicOnly().classicExponentialUpperBounds(1, 2, LEASE_TTL_BUCKETS).register(registry);
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
    String dbSize = "Size of the key-value store as the space quota counts it: what it held before the last compaction"
        + " until a defragment, else what it holds (keys and values of every revision kept).";
    gauge("etcd_mvcc_db_total_size_in_bytes", dbSize, () -> store.get().dbSizeBytes());
    gauge("etcd_debugging_mvcc_db_total_size_in_bytes", dbSize, () -> store.get().dbSizeBytes());
    gauge("etcd_mvcc_db_total_size_in_use_in_bytes",
        "What the key-value store holds: keys and values of every revision kept.",
        () -> store.get().sizeBytes());
    gauge("etcd_server_quota_backend_bytes", "The space quota (--quota-backend-bytes); 0 when there is none.",
        () -> Math.max(0, quotaBytes));
    gauge("etcd_debugging_mvcc_keys_total", "Keys that exist at the current revision (deleted ones excluded).",
        () -> store.get().liveKeys());
    gauge("etcd_debugging_mvcc_current_revision", "The store's current revision.",
        () -> store.get().currentRevision());
    gauge("etcd_debugging_mvcc_compact_revision", "The revision of the store's last compaction; -1 before the first.",
        () -> store.get().compactRevision());
    fsyncRoute = RaftLogSyncTimings.route(node.raftMemberId(), this::walFsync);
    appendRoute = RaftAppendTraffic.route(node.raftMemberId(), node.otherPeers(), appends);
  }

  /**
   * etcd's MVCC counters, read from {@code counters}: {@code etcd_mvcc_range_total},
   * {@code put_total}, {@code delete_total}, {@code txn_total}, their {@code etcd_debugging_mvcc_}
   * twins (etcd 3.4 has both), the bytes put and the revisions compacted. Called once.
   */
  public void mvcc(MvccCounters counters) {
    String ranges = "MVCC ranges on this member: a range request, each compare and range of a read-only txn,"
        + " each compare of a txn that writes, each range op and each previous value read (prev_kv, ignore_value,"
        + " ignore_lease) of the writes applied here, and one per compaction, as etcd counts them. Unlike etcd's,"
        + " a watch event sent with prev_kv costs no range.";
    String puts = "Puts applied on this member, in put requests and txns; every member applies every write.";
    String deletes = "Deletes applied on this member: delete requests and txn ops, deleting anything or not, and"
        + " one per key of a revoked lease.";
    String txns = "MVCC transactions of more than one operation on this member, as etcd counts them: the ops of a"
        + " txn, its compares, a put or delete with prev_kv, a revoke of a lease with several keys.";
    for (String prefix : new String[] {"etcd_mvcc_", "etcd_debugging_mvcc_"}) {
      counter(prefix + "range_total", ranges, counters::ranges);
      counter(prefix + "put_total", puts, counters::puts);
      counter(prefix + "delete_total", deletes, counters::deletes);
      counter(prefix + "txn_total", txns, counters::txns);
    }
    gauge("etcd_debugging_mvcc_total_put_size_in_bytes", "Key and value bytes of the puts applied on this member.",
        counters::putBytes);
    counter("etcd_debugging_mvcc_db_compaction_keys_total",
        "Revisions that compactions removed from this member's store.", counters::compactedRevisions);
  }

  /** etcd's watch gauges and event counter, read from {@code counts}. Called once. */
  public void watches(WatchCounts counts) {
    gauge("etcd_debugging_mvcc_watch_stream_total", "gRPC Watch streams open on this member.", counts::streams);
    gauge("etcd_debugging_mvcc_watcher_total",
        "Watchers on this member (the election and lock services' own included), synced or not.", counts::watchers);
    gauge("etcd_debugging_mvcc_slow_watcher_total",
        "Watchers on this member that are behind and catch up from history: a watcher that started in the past,"
            + " or one whose stream did not take its events fast enough (etcd's unsynced watchers and victims).",
        counts::slowWatchers);
    counter("etcd_debugging_mvcc_events_total",
        "Watch events the watch streams on this member took to send, or dropped with a canceled watcher.",
        counts::takenEvents);
    gauge("etcd_debugging_mvcc_pending_events_total",
        "Watch events queued for the watch streams on this member and not taken yet.", counts::pendingEvents);
  }

  /**
   * etcd's counters of what the leader does with leases: renewals granted and expired leases
   * revoked, over this member's terms as leader. Called once.
   */
  public void leaderLeases(LongSupplier renewals, LongSupplier expiries) {
    counter("etcd_debugging_lease_renewed_total", "Lease keep-alives this member renewed as leader.", renewals);
    counter("etcd_debugging_server_lease_expired_total",
        "Expired leases this member revoked as leader.", expiries);
  }

  /** Gauges of this member's own condition: a snapshot being installed, being a learner. Called once. */
  public void member(BooleanSupplier installingSnapshot, BooleanSupplier learner) {
    gauge("etcd_server_snapshot_apply_in_progress_total",
        "1 while this member loads a snapshot sent by the leader into its stores, else 0.",
        () -> flag(installingSnapshot));
    gauge("etcd_server_is_learner", "1 while this member is a learner, else 0.", () -> flag(learner));
  }

  /** Hook for the state machine: leader changes, lease grants and revokes, snapshots saved. */
  public StateMachineObserver stateMachine() {
    return new StateMachineObserver() {
      @Override
      public void leaderChanged() {
        ServerMetrics.this.leaderChanged();
      }

      @Override
      public void snapshotSaved(long nanos) {
        snapshotSave.observe(nanos / 1e9);
      }

      @Override
      public void granted(long id, long ttl) {
        leaseTtls.observe(ttl);
        leasesGranted.inc();
      }

      @Override
      public void revoked(long id) {
        leasesRevoked.inc();
      }
    };
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

  private void counter(String name, String help, LongSupplier value) {
    CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(registry);
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
