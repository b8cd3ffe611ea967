package keel.server.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.RawValue;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import keel.server.ServerConfig;
import keel.server.api.grpc.MaintenanceService;
import keel.server.cluster.ClusterView;
import keel.server.command.MemberRecord;
import keel.server.metrics.AppendStats;
import keel.server.raft.MemberIds;
import keel.server.raft.RatisNode;
import keel.server.statemachine.Alarms;
import keel.server.v2store.V2Store;

/**
 * etcd 3.4's plain HTTP/1.1 routes on the client port, beside gRPC: {@code /version},
 * {@code /health}, {@code /v2/members}, {@code /v2/stats/self} and {@code /v2/stats/leader}.
 * Bodies, field order, status codes and content types are those etcd 3.4.23 answers with. The
 * append counts, package rates and follower latencies come from what Ratis counts and times per
 * append ({@link AppendStats}); etcd's {@code recvBandwidthRate} and {@code sendBandwidthRate} are
 * never printed, since Ratis does not measure the bytes of its appends.
 */
public final class HttpRoutes {
  /** etcd's health check gives its linearizable read one second ({@code etcdhttp.checkHealth}). */
  private static final Duration HEALTH_READ_TIMEOUT = Duration.ofSeconds(1);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** etcd writes /health with http.Error or a bare Write: Go sniffs both as text/plain. */
  private static final MediaType HEALTH_TYPE = MediaType.PLAIN_TEXT_UTF_8;

  private final ServerConfig config;
  private final ClusterView cluster;
  private final RatisNode node;
  private final Supplier<Alarms> alarms;
  private final V2Store v2;
  private final AppendStats appends;
  private final Instant startTime = Instant.now();
  private final LeaderClock leaderClock = new LeaderClock();

  public HttpRoutes(ServerConfig config, ClusterView cluster, RatisNode node,
      Supplier<Alarms> alarms, V2Store v2, AppendStats appends) {
    this.config = config;
    this.alarms = alarms;
    this.cluster = cluster;
    this.node = node;
    this.v2 = v2;
    this.appends = appends;
  }

  /**
   * Adds the routes to a client server; gRPC's own routes (by service path) are unaffected. The
   * v2 routes only with {@code --enable-v2}: etcd 3.4 answers 404 for all of {@code /v2} without it.
   */
  public void addTo(ServerBuilder builder) {
    builder.decorator(GoPathRedirect::serve);
    builder.decorator(CorsHeaders::serve); // outermost: OPTIONS anywhere, CORS headers on everything
    builder.errorHandler(new GoNotFound());
    builder.route().path("/version").build(only(this::version, "GET"));
    builder.route().path("/health").build(only(this::health, "GET"));
    if (config.enableV2()) {
      builder.route().path("/v2/members").build(only(this::members, "GET"));
      builder.route().path("/v2/machines").build(only(this::machines, "GET", "HEAD"));
      builder.route().path("/v2/stats/self").build(only(this::statsSelf, "GET"));
      builder.route().path("/v2/stats/leader").build(only(this::statsLeader, "GET"));
      builder.route().path("/v2/stats/store").build(only(this::statsStore, "GET"));
    }
  }

  /**
   * A route that answers only {@code methods}, and anything else as etcd's {@code allowMethod}
   * does: 405 with an Allow header and Go's plain-text error.
   */
  static HttpService only(Supplier<HttpResponse> route, String... methods) {
    List<String> allowed = List.of(methods);
    return (ctx, req) -> allowed.contains(req.method().name()) ? route.get() : methodNotAllowed(String.join(",", methods));
  }

  static HttpResponse methodNotAllowed(String allow) {
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.METHOD_NOT_ALLOWED)
        .contentType(MediaType.PLAIN_TEXT_UTF_8)
        .add("allow", allow)
        .add("x-content-type-options", "nosniff")
        .build(), HttpData.ofUtf8("Method Not Allowed\n"));
  }

  HttpResponse version() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("etcdserver", MaintenanceService.VERSION);
    body.put("etcdcluster", MaintenanceService.VERSION);
    return json(HttpStatus.OK, body);
  }

  /** etcd's checkHealth: unhealthy while any alarm is raised, without a leader, or when a linearizable read fails. */
  HttpResponse health() {
    if (!alarms.get().isEmpty() || node.leaderPeer() == null) {
      return unhealthy();
    }
    return HttpResponse.of(node.readBarrier()
        .orTimeout(HEALTH_READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .handle((ignored, error) -> error == null
            ? HttpResponse.of(HttpStatus.OK, HEALTH_TYPE, "{\"health\":\"true\"}")
            : unhealthy()));
  }

  /** etcd answers with http.Error, which appends a newline. */
  private static HttpResponse unhealthy() {
    return HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE, HEALTH_TYPE, "{\"health\":\"false\"}\n");
  }

  HttpResponse members() {
    List<Map<String, Object>> members = new java.util.ArrayList<>();
    // etcd lists members by id, as unsigned integers (ClusterView's order).
    for (MemberRecord record : cluster.members()) {
      Map<String, Object> member = new LinkedHashMap<>();
      member.put("id", MemberIds.hex(record.getId()));
      member.put("name", record.getName());
      member.put("peerURLs", record.getPeerUrlsList());
      // Like etcd: a member that has not published itself yet has no client URLs.
      member.put("clientURLs", record.getClientUrlsList());
      members.add(member);
    }
    return json(HttpStatus.OK, Map.of("members", members));
  }

  /** etcd's {@code /v2/machines}: every published client URL, sorted, comma separated, as plain text. */
  HttpResponse machines() {
    List<String> urls = new java.util.ArrayList<>();
    cluster.members().forEach(member -> urls.addAll(member.getClientUrlsList()));
    java.util.Collections.sort(urls);
    return HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, String.join(", ", urls));
  }

  /** etcd's {@code /v2/stats/store}: this member's v2 operation counters. */
  HttpResponse statsStore() {
    return json(HttpStatus.OK, v2.stats().fields(v2.watcherCount()));
  }

  /**
   * etcd's {@code /v2/stats/self}. A package rate appears only while appends flow (etcd omits a zero
   * rate), just after its count.
   */
  HttpResponse statsSelf() {
    String leader = node.leaderPeer();
    Instant now = Instant.now();
    Instant leaderSince = leaderClock.since(leader, now);
    Map<String, Object> leaderInfo = new LinkedHashMap<>();
    leaderInfo.put("leader", MemberIds.hex(cluster.leaderId()));
    leaderInfo.put("uptime", GoFormats.duration(Duration.between(leaderSince, now)));
    leaderInfo.put("startTime", GoFormats.rfc3339Nano(leaderSince));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", config.name());
    body.put("id", MemberIds.hex(cluster.memberId()));
    body.put("state", node.isLeader() ? "StateLeader" : "StateFollower");
    body.put("startTime", GoFormats.rfc3339Nano(startTime));
    body.put("leaderInfo", leaderInfo);
    AppendStats.Traffic received = appends.received();
    body.put("recvAppendRequestCnt", received.count());
    putIfNonZero(body, "recvPkgRate", received.perSecond());
    AppendStats.Traffic sent = appends.sent();
    body.put("sendAppendRequestCnt", sent.count());
    putIfNonZero(body, "sendPkgRate", sent.perSecond());
    return json(HttpStatus.OK, body);
  }

  private static void putIfNonZero(Map<String, Object> body, String field, double value) {
    if (value != 0) {
      body.put(field, goFloat(value));
    }
  }

  /**
   * etcd's {@code /v2/stats/leader}: how the appends this leader sent each follower fared. A
   * latency is an append's round trip, send to reply; etcd 3.4 times only the write of a MsgApp to
   * its peer stream, so etcd's figures are far smaller. {@code fail} counts appends that got no
   * reply in time (see {@link keel.server.metrics.RaftAppendTraffic} for what Ratis cannot attribute).
   */
  HttpResponse statsLeader() {
    if (!node.isLeader()) {
      return json(HttpStatus.FORBIDDEN, Map.of("message", "not current leader"));
    }
    // Go prints a map with its keys sorted as text.
    Map<String, Object> followers = new java.util.TreeMap<>();
    for (MemberRecord member : cluster.members()) {
      if (member.getId() != cluster.memberId()) {
        followers.put(MemberIds.hex(member.getId()), followerStats(appends.follower(member.getRaftPeer())));
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("leader", MemberIds.hex(cluster.memberId()));
    body.put("followers", followers);
    return json(HttpStatus.OK, body);
  }

  private static Map<String, Object> followerStats(AppendStats.FollowerStats follower) {
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("current", goFloat(follower.current()));
    latency.put("average", goFloat(follower.average()));
    latency.put("standardDeviation", goFloat(follower.standardDeviation()));
    latency.put("minimum", goFloat(follower.minimum()));
    latency.put("maximum", goFloat(follower.maximum()));
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("fail", follower.fail());
    counts.put("success", follower.success());
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("latency", latency);
    stats.put("counts", counts);
    return stats;
  }

  /** A float64 written into the JSON as Go prints it (Jackson would write 0.0 and 3.53E-4). */
  private static RawValue goFloat(double value) {
    return new RawValue(GoFormats.float64(value));
  }

  private static HttpResponse json(HttpStatus status, Object body) {
    try {
      return HttpResponse.of(status, MediaType.JSON, JSON.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("maps of strings and numbers always serialize", e);
    }
  }

  /**
   * When this member first saw the current leader, for leaderInfo's startTime and uptime. Sampled
   * when asked, so a leader change is noticed at the next request rather than when it happens.
   */
  private static final class LeaderClock {
    private String leader;
    private Instant since;

    synchronized Instant since(String current, Instant now) {
      if (since == null || !java.util.Objects.equals(leader, current)) {
        leader = current;
        since = now;
      }
      return since;
    }
  }
}
