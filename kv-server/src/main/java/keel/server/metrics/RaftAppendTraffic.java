package keel.server.metrics;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import keel.server.metrics.ObservedRatisMetrics.ObservedCounter;
import keel.server.metrics.ObservedRatisMetrics.ObservedTimer;
import org.apache.ratis.grpc.metrics.GrpcServerMetrics;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.RatisMetrics;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.metrics.RaftServerMetricsImpl;

/**
 * Hands what Ratis counts and times per append to the member's {@link AppendStats}, by putting
 * {@link ObservedRatisMetrics} stand-ins into Ratis's registries as they are created:
 *
 * <ul>
 *   <li>appends received: the follower's {@code follower_append_entry_latency} timer (server
 *       registry), stopped once per append with entries that the follower handled (passed the
 *       term and log checks and wrote to its log). etcd counts a MsgApp as it arrives, also one it
 *       then rejects; Ratis times only those it handles.
 *   <li>appends sent: the leader's {@code num_requests} counter (gRPC log appender registry), one
 *       per append with entries made for a follower.
 *   <li>per follower: the leader's {@code <follower>_latency} timer, which Ratis stops when the
 *       follower's reply arrives (success, whatever the reply says) or when the request times out;
 *       a timeout is the {@code <follower>_append_entry_timeout_count} counter, which Ratis counts
 *       just before it stops the timer on the same thread, so that stop is a failure and not a
 *       round trip. A send that fails on the connection is counted by Ratis only as a retry of
 *       the whole appender, not per follower, so it is in neither count.
 * </ul>
 *
 * <p>The per-follower names carry the follower's peer id, so they are put in for the followers
 * named by the route, which must therefore exist before the member becomes leader. Every stand-in
 * looks its member up at each update, like {@link RaftLogSyncTimings}, so a member restarted in the
 * same JVM reports to its new incarnation and the counts survive Ratis dropping and re-creating the
 * appender registry on leader changes.
 */
public final class RaftAppendTraffic {
  /** The application name of Ratis's gRPC log appender registry (private in GrpcServerMetrics). */
  static final String GRPC_APPLICATION = "ratis_grpc";
  static final String GRPC_COMPONENT = "log_appender";
  private static final String DATA = RatisMetrics.getHeartbeatSuffix(false);

  private static final Map<String, Routed> ROUTES = new ConcurrentHashMap<>();
  private static boolean installed;

  private record Routed(AppendStats stats, List<String> followers) {}

  private RaftAppendTraffic() {}

  /**
   * Registers the hook with Ratis; idempotent. Must run before the first Raft server of the JVM is
   * built, since only registries created afterwards are observed.
   */
  public static synchronized void install() {
    if (!installed) {
      MetricRegistries.global().addReporterRegistration(RaftAppendTraffic::onRegistryCreated, registry -> { });
      installed = true;
    }
  }

  /**
   * Sends {@code member}'s append traffic to {@code stats} until the returned handle is closed;
   * {@code followers} are the other members' peer ids.
   */
  public static RaftLogSyncTimings.Route route(RaftGroupMemberId member, Collection<RaftPeerId> followers,
      AppendStats stats) {
    String key = member.toString();
    Routed routed = new Routed(stats, followers.stream().map(RaftPeerId::toString).toList());
    ROUTES.put(key, routed);
    return () -> ROUTES.remove(key, routed);
  }

  private static void onRegistryCreated(RatisMetricRegistry registry) {
    if (!(registry instanceof RatisMetricRegistryImpl impl)) {
      return;
    }
    MetricRegistryInfo info = registry.getMetricRegistryInfo();
    String member = info.getPrefix();
    if (RatisMetrics.RATIS_APPLICATION_NAME_METRICS.equals(info.getApplicationName())
        && RaftServerMetricsImpl.RATIS_SERVER_METRICS.equals(info.getMetricsComponentName())) {
      ObservedRatisMetrics.put(impl, RaftServerMetricsImpl.FOLLOWER_APPEND_ENTRIES_LATENCY + DATA,
          new ObservedTimer(nanos -> to(member, AppendStats::onReceived)), "recvAppendRequestCnt");
    } else if (GRPC_APPLICATION.equals(info.getApplicationName())
        && GRPC_COMPONENT.equals(info.getMetricsComponentName())) {
      ObservedRatisMetrics.put(impl, GrpcServerMetrics.RATIS_GRPC_METRICS_REQUESTS_COUNT + DATA,
          new ObservedCounter(() -> to(member, AppendStats::onSent)), "sendAppendRequestCnt");
      Routed routed = ROUTES.get(member);
      if (routed != null) {
        routed.followers().forEach(follower -> observeFollower(impl, member, follower));
      }
    }
  }

  private static void observeFollower(RatisMetricRegistryImpl registry, String member, String follower) {
    // Set by the timeout counter, taken by the timer stop that follows it on the same thread.
    ThreadLocal<Boolean> timingOut = ThreadLocal.withInitial(() -> false);
    String lost = "/v2/stats/leader's counts and latency of " + follower;
    ObservedRatisMetrics.put(registry,
        String.format(GrpcServerMetrics.RATIS_GRPC_METRICS_LOG_APPENDER_TIMEOUT, follower) + DATA,
        new ObservedCounter(() -> {
          timingOut.set(true);
          to(member, stats -> stats.onTimeout(follower));
        }), lost);
    ObservedRatisMetrics.put(registry,
        String.format(GrpcServerMetrics.RATIS_GRPC_METRICS_LOG_APPENDER_LATENCY, follower) + DATA,
        new ObservedTimer(nanos -> {
          if (timingOut.get()) {
            timingOut.set(false);
          } else {
            to(member, stats -> stats.onReply(follower, nanos));
          }
        }), lost);
  }

  private static void to(String member, Consumer<AppendStats> update) {
    Routed routed = ROUTES.get(member);
    if (routed != null) {
      update.accept(routed.stats());
    }
  }
}
