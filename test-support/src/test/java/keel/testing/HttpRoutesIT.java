package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.KeelServer;
import keel.server.raft.MemberIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** etcd 3.4's plain HTTP routes on the client port of an in-process 3-member Keel, beside gRPC. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpRoutesIT {
  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3, b -> b.enableV2(true));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private static HttpResponse<String> get(URI endpoint, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> expectedIds() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < cluster.cluster().size(); i++) {
      ids.add(MemberIds.hex(cluster.cluster().member(i).map(KeelServer::memberId).orElseThrow()));
    }
    return ids;
  }

  @Test
  void versionIsEtcds() throws Exception {
    for (URI endpoint : cluster.endpoints()) {
      HttpResponse<String> response = get(endpoint, "/version");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("application/json"));
      assertThat(response.body()).isEqualTo("{\"etcdserver\":\"3.4.0\",\"etcdcluster\":\"3.4.0\"}");
    }
  }

  @Test
  void healthIsTrueWithALeader() throws Exception {
    for (URI endpoint : cluster.endpoints()) {
      HttpResponse<String> response = Deadlines.await("healthy " + endpoint, Duration.ofSeconds(20))
          .until(() -> get(endpoint, "/health"), r -> r.statusCode() == 200);
      assertThat(response.body()).isEqualTo("{\"health\":\"true\"}");
    }
  }

  @Test
  void membersListsAllThreeWithIdsAndUrls() throws Exception {
    List<String> ids = expectedIds();
    URI endpoint = cluster.endpoints().get(0);
    // Client URLs appear once each member has published itself through the log.
    JsonNode members = Deadlines.await("all members published", Duration.ofSeconds(20))
        .until(() -> JSON.readTree(get(endpoint, "/v2/members").body()).get("members"),
            list -> list.size() == 3 && allHaveClientUrls(list));
    List<String> listed = new ArrayList<>();
    List<String> clientUrls = new ArrayList<>();
    for (JsonNode member : members) {
      listed.add(member.get("id").asText());
      assertThat(member.get("name").asText()).isNotEmpty();
      assertThat(member.get("peerURLs")).hasSize(1);
      clientUrls.add(member.get("clientURLs").get(0).asText());
      assertThat(fieldNames(member)).containsExactly("id", "name", "peerURLs", "clientURLs");
    }
    assertThat(listed).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(listed).isSortedAccordingTo((a, b) -> Long.compareUnsigned(Long.parseUnsignedLong(a, 16),
        Long.parseUnsignedLong(b, 16)));
    assertThat(clientUrls).containsExactlyInAnyOrderElementsOf(
        cluster.endpoints().stream().map(URI::toString).toList());
  }

  private static boolean allHaveClientUrls(JsonNode members) {
    for (JsonNode member : members) {
      if (member.get("clientURLs").isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void statsSelfShowsExactlyOneLeader() throws Exception {
    List<String> ids = expectedIds();
    List<URI> endpoints = cluster.endpoints();
    int leaders = Deadlines.await("one member reporting StateLeader", Duration.ofSeconds(20))
        .until(() -> countLeaders(endpoints), count -> count == 1);
    assertThat(leaders).isEqualTo(1);
    for (int i = 0; i < endpoints.size(); i++) {
      JsonNode self = JSON.readTree(get(endpoints.get(i), "/v2/stats/self").body());
      assertHasEtcdsSelfFields(self);
      assertThat(self.get("id").asText()).isEqualTo(ids.get(i));
      assertThat(fieldNames(self.get("leaderInfo"))).containsExactly("leader", "uptime", "startTime");
      assertThat(ids).contains(self.get("leaderInfo").get("leader").asText());
      assertThat(self.get("startTime").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
      assertThat(self.get("leaderInfo").get("uptime").asText()).matches("[0-9.hmµns]+");
    }
  }

  /** etcd's fields in etcd's order; a package rate only while appends flow. */
  private static void assertHasEtcdsSelfFields(JsonNode self) {
    List<String> fields = fieldNames(self);
    assertThat(fields).containsSubsequence("name", "id", "state", "startTime", "leaderInfo",
        "recvAppendRequestCnt", "sendAppendRequestCnt");
    assertThat(List.of("name", "id", "state", "startTime", "leaderInfo", "recvAppendRequestCnt", "recvPkgRate",
        "sendAppendRequestCnt", "sendPkgRate")).containsSubsequence(fields);
  }

  private static int countLeaders(List<URI> endpoints) throws Exception {
    int leaders = 0;
    for (URI endpoint : endpoints) {
      if ("StateLeader".equals(JSON.readTree(get(endpoint, "/v2/stats/self").body()).get("state").asText())) {
        leaders++;
      }
    }
    return leaders;
  }

  /**
   * kill -9 of the leader's process, in a cluster of member processes of its own: the two left
   * elect one of themselves, and /v2/stats/self says so on exactly one of them.
   */
  @Test
  void statsSelfNamesANewLeaderAfterTheLeaderIsKilled() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).clusterName("keel-stats-kill")
        .extraFlags("--enable-v2=true").start()) {
      List<URI> endpoints = keel.clientUrls().stream().map(URI::create).toList();
      List<Integer> all = List.of(0, 1, 2);
      int leader = Deadlines.await("one member reporting StateLeader", Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> onlyLeader(endpoints, all), index -> index >= 0);

      keel.member(leader).kill9();
      List<Integer> survivors = all.stream().filter(i -> i != leader).toList();
      int next = Deadlines.await("one of the survivors reporting StateLeader", Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> onlyLeader(endpoints, survivors), index -> index >= 0);
      assertThat(next).isNotEqualTo(leader).isIn(survivors);
      // a follower learns the new leader from its first heartbeat
      String newLeaderId = JSON.readTree(get(endpoints.get(next), "/v2/stats/self").body()).get("id").asText();
      Deadlines.await("both survivors naming " + newLeaderId + " in leaderInfo", Duration.ofSeconds(10))
          .ignoreExceptions()
          .untilAsserted(() -> {
            for (int i : survivors) {
              assertThat(JSON.readTree(get(endpoints.get(i), "/v2/stats/self").body()).get("leaderInfo").get("leader").asText())
                  .as("leaderInfo.leader on member %d", i)
                  .isEqualTo(newLeaderId);
            }
          });
    }
  }

  /** The index in {@code which} of the one member saying StateLeader; -1 unless exactly one does. */
  private static int onlyLeader(List<URI> endpoints, List<Integer> which) throws Exception {
    List<Integer> leaders = new ArrayList<>();
    for (int i : which) {
      if ("StateLeader".equals(JSON.readTree(get(endpoints.get(i), "/v2/stats/self").body()).get("state").asText())) {
        leaders.add(i);
      }
    }
    return leaders.size() == 1 ? leaders.get(0) : -1;
  }

  @Test
  void statsLeaderOnAFollowerIsEtcdsForbidden() throws Exception {
    int leader = cluster.awaitLeader();
    List<URI> endpoints = cluster.endpoints();
    URI follower = endpoints.get((leader + 1) % endpoints.size());
    HttpResponse<String> response = get(follower, "/v2/stats/leader");
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body()).isEqualTo("{\"message\":\"not current leader\"}");

    List<String> ids = expectedIds();
    HttpResponse<String> onLeader = Deadlines.await("stats from the leader", Duration.ofSeconds(20))
        .until(() -> get(endpoints.get(cluster.awaitLeader()), "/v2/stats/leader"), r -> r.statusCode() == 200);
    JsonNode stats = JSON.readTree(onLeader.body());
    assertThat(ids).contains(stats.get("leader").asText());
    assertThat(fieldNames(stats.get("followers"))).hasSize(2).doesNotContain(stats.get("leader").asText());
    assertThat(fieldNames(stats.get("followers").elements().next().get("counts"))).containsExactly("fail", "success");
  }

  @Test
  void appendCountsAndFollowerLatenciesFollowTheWrites() throws Exception {
    int leader = cluster.awaitLeader();
    List<URI> endpoints = cluster.endpoints();
    write(10);
    // Per member: sent by the leader, received by the followers; every one of them above zero.
    long[] afterTen = Deadlines.await("appends counted on every member", Duration.ofSeconds(20))
        .until(() -> appendCounts(endpoints, leader), counts -> Arrays.stream(counts).allMatch(c -> c > 0));
    write(10);
    Deadlines.await("appends counted again on every member", Duration.ofSeconds(20))
        .until(() -> appendCounts(endpoints, leader), counts -> allAbove(counts, afterTen));

    HttpResponse<String> response = get(endpoints.get(leader), "/v2/stats/leader");
    assertThat(response.statusCode()).as("leader changed during the test").isEqualTo(200);
    // Go prints float64s without Java's exponent and 0 as 0, never 0.0.
    assertThat(response.body()).doesNotContainPattern("[0-9]E|\\.0[,}]");
    JsonNode followers = JSON.readTree(response.body()).get("followers");
    assertThat(fieldNames(followers)).hasSize(2);
    for (JsonNode follower : followers) {
      JsonNode latency = follower.get("latency");
      assertThat(fieldNames(latency)).containsExactly("current", "average", "standardDeviation", "minimum",
          "maximum");
      assertThat(follower.get("counts").get("success").asLong()).isPositive();
      assertThat(follower.get("counts").get("fail").asLong()).isNotNegative();
      double minimum = latency.get("minimum").asDouble();
      double maximum = latency.get("maximum").asDouble();
      assertThat(minimum).isNotNegative().isLessThanOrEqualTo(maximum);
      assertThat(latency.get("average").asDouble()).isBetween(minimum, maximum);
      assertThat(latency.get("current").asDouble()).isBetween(minimum, maximum);
      assertThat(latency.get("standardDeviation").asDouble()).isNotNegative().isLessThanOrEqualTo(maximum - minimum);
    }
  }

  private static void write(int count) throws Exception {
    for (int i = 0; i < count; i++) {
      cluster.kv().put(cluster.uniqueKey(), bytes("v" + i)).get(10, TimeUnit.SECONDS);
    }
  }

  /** The leader's sendAppendRequestCnt and the followers' recvAppendRequestCnt, by member index. */
  private static long[] appendCounts(List<URI> endpoints, int leader) throws Exception {
    long[] counts = new long[endpoints.size()];
    for (int i = 0; i < endpoints.size(); i++) {
      JsonNode self = JSON.readTree(get(endpoints.get(i), "/v2/stats/self").body());
      assertHasEtcdsSelfFields(self);
      counts[i] = self.get(i == leader ? "sendAppendRequestCnt" : "recvAppendRequestCnt").asLong();
    }
    return counts;
  }

  private static boolean allAbove(long[] counts, long[] before) {
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] <= before[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Armeria refuses a path with a {@code ..} segment before any route (Go's mux would redirect to
   * the cleaned path; see README): the answer is a 400, not a dropped connection, and nothing is
   * written. A {@code //} is redirected as Go does (V2EtcdctlDifferentialIT compares those).
   */
  @Test
  void aPathWithADotDotSegmentIsABadRequestAndWritesNothing() throws Exception {
    URI endpoint = cluster.endpoints().get(0);
    String name = "dotdot-" + System.nanoTime();
    HttpRequest put = HttpRequest.newBuilder(URI.create(endpoint + "/v2/keys/dir/../" + name))
        .timeout(Duration.ofSeconds(10))
        .header("content-type", "application/x-www-form-urlencoded")
        .PUT(HttpRequest.BodyPublishers.ofString("value=x"))
        .build();
    HttpResponse<String> refused = HTTP.send(put, HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("Invalid request path");
    assertThat(get(endpoint, "/v2/keys/" + name).statusCode()).as("nothing written").isEqualTo(404);

    HttpResponse<String> moved = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint + "/v2/keys//" + name))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(moved.statusCode()).isEqualTo(301);
    assertThat(moved.headers().firstValue("location")).hasValue("/v2/keys/" + name);
  }

  @Test
  void grpcAndHttpShareOneClientPort() throws Exception {
    URI endpoint = cluster.endpoints().get(1);
    try (Client client = Client.builder().endpoints(endpoint).build()) {
      ByteSequence key = cluster.uniqueKey();
      client.getKVClient().put(key, bytes("v")).get(10, TimeUnit.SECONDS);
      assertThat(client.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs().get(0).getValue())
          .isEqualTo(bytes("v"));
    }
    HttpResponse<String> version = get(endpoint, "/version");
    assertThat(version.statusCode()).isEqualTo(200);
    assertThat(version.body()).contains("\"etcdserver\":\"3.4.0\"");
  }
}
