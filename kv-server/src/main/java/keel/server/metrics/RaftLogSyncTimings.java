package keel.server.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import keel.server.metrics.ObservedRatisMetrics.ObservedTimer;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.server.metrics.RaftLogMetricsBase;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;

/**
 * Hands every Raft log sync that Ratis times to the member whose log it is: the source of etcd's
 * {@code etcd_disk_wal_fsync_duration_seconds}.
 *
 * <p>Ratis's log worker times each flush of the open segment (buffered bytes written, then
 * {@code FileChannel.force}) with the {@code syncTime} timer of its per-member log metrics. Ratis
 * offers no callback per timing, only a decaying sample, which cannot feed a cumulative histogram.
 * So, when Ratis creates a member's log-worker registry, a timer of ours is put into that registry
 * under the same name before Ratis asks for it; Ratis then times its syncs with it, and it passes
 * each duration on. The timer looks the member up at each sync, so a member restarted in the same
 * JVM (Ratis keeps its registry) reports to its new incarnation.
 *
 * <p>JVM-global because Ratis's registries are: one member id, one route. Two clusters in one JVM
 * with the same member names and cluster token share Ratis's registry, and the last routed wins.
 * Installing the hook also means Ratis does not add its default JMX reporter.
 */
public final class RaftLogSyncTimings {
  /** Member id (Ratis's registry prefix) to the consumer of its sync durations in nanoseconds. */
  private static final Map<String, LongConsumer> ROUTES = new ConcurrentHashMap<>();
  private static boolean installed;

  private RaftLogSyncTimings() {}

  /**
   * Registers the hook with Ratis; idempotent. Must run before the first Raft server of the JVM is
   * built, since only registries created afterwards get the routed timer.
   */
  public static synchronized void install() {
    if (!installed) {
      MetricRegistries.global().addReporterRegistration(RaftLogSyncTimings::onRegistryCreated, registry -> { });
      installed = true;
    }
  }

  /**
   * Sends the sync durations of {@code member}'s log to {@code nanos} until the returned handle
   * is closed. {@link #install()} must have run before the member's Raft server was built.
   */
  public static Route route(RaftGroupMemberId member, LongConsumer nanos) {
    String key = member.toString();
    ROUTES.put(key, nanos);
    return () -> ROUTES.remove(key, nanos);
  }

  /** A routing, undone by {@link #close()}; a later route for the same member replaces it. */
  public interface Route extends AutoCloseable {
    @Override
    void close();
  }

  private static void onRegistryCreated(RatisMetricRegistry registry) {
    MetricRegistryInfo info = registry.getMetricRegistryInfo();
    if (!RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS.equals(info.getMetricsComponentName())
        || !(registry instanceof RatisMetricRegistryImpl impl)) {
      return;
    }
    String member = info.getPrefix();
    ObservedRatisMetrics.put(impl, SegmentedRaftLogMetrics.RAFT_LOG_SYNC_TIME, new ObservedTimer(nanos -> {
      LongConsumer route = ROUTES.get(member);
      if (route != null) {
        route.accept(nanos);
      }
    }), "etcd_disk_wal_fsync_duration_seconds");
  }
}
