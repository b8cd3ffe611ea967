package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.KeelServer;
import keel.server.watch.WatchHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The /v3 JSON gateway on a 3-member in-process Keel, for what the differential test against etcd
 * does not reach: requests streamed in pieces on one watch (create, cancel, create, then the body
 * ends and the watch goes on) on a follower; a keep-alive body of several requests; a
 * server-streaming call (election observe); calls Keel does not implement; the HTTP around the
 * calls (preflight, redirect, /v3beta).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayIT {
  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static HttpResponse<String> post(URI endpoint, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Deadlines.scaled(WAIT))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode result(String line) throws Exception {
    JsonNode node = JSON.readTree(line);
    assertThat(node.has("result")).as(line).isTrue();
    return node.get("result");
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(JsonNode base64) {
    return new String(Base64.getDecoder().decode(base64.asText()), StandardCharsets.UTF_8);
  }

  private static int followerIndex() {
    return (cluster.awaitLeader() + 1) % cluster.cluster().size();
  }

  private static int watchers(int member) {
    WatchHub hub = cluster.cluster().member(member).map(KeelServer::watchHub).orElseThrow();
    return hub.syncedCount() + hub.unsyncedCount();
  }

  @Test
  void oneWatchStreamTakesRequestsAsTheyArriveAndOutlivesItsBody() throws Exception {
    int follower = followerIndex();
    URI endpoint = cluster.endpoints().get(follower);
    // another test's stream (observe, keepalive) may still be going away on this member
    Deadlines.await("no watchers left from other tests", WAIT).until(() -> watchers(follower) == 0);
    String a = cluster.uniqueKey().toString(StandardCharsets.UTF_8);
    String b = cluster.uniqueKey().toString(StandardCharsets.UTF_8);
    try (GatewayStream watch = GatewayStream.openChunked(endpoint, "/v3/watch",
        "{\"create_request\":{\"key\":\"" + b64(a) + "\"}}")) {
      JsonNode created = result(watch.next());
      assertThat(created.get("created").asBoolean()).isTrue();
      assertThat(created.has("watch_id")).as("the first watch is id 0, left out as a zero").isFalse();

      post(cluster.endpoints().get(0), "/v3/kv/put", "{\"key\":\"" + b64(a) + "\",\"value\":\"" + b64("1") + "\"}");
      JsonNode event = result(watch.next());
      assertThat(text(event.get("events").get(0).get("kv").get("key"))).isEqualTo(a);

      // two more requests in one piece, split across two writes
      String more = "{\"create_request\":{\"key\":\"" + b64(b) + "\"}}\n{\"cancel_request\":{\"watch_id\":0}}";
      watch.send(more.substring(0, 20));
      watch.send(more.substring(20));
      JsonNode second = result(watch.next());
      assertThat(second.get("watch_id").asText()).isEqualTo("1");
      assertThat(second.get("created").asBoolean()).isTrue();
      JsonNode canceled = result(watch.next());
      assertThat(canceled.has("watch_id")).isFalse();
      assertThat(canceled.get("canceled").asBoolean()).isTrue();

      // the body ends; etcd keeps serving the watches of a half-closed stream, so does Keel
      watch.endBody();
      post(cluster.endpoints().get(2), "/v3/kv/put", "{\"key\":\"" + b64(a) + "\",\"value\":\"" + b64("2") + "\"}");
      post(cluster.endpoints().get(1), "/v3/kv/put", "{\"key\":\"" + b64(b) + "\",\"value\":\"" + b64("3") + "\"}");
      JsonNode onB = result(watch.next());
      assertThat(onB.get("watch_id").asText()).isEqualTo("1");
      assertThat(text(onB.get("events").get(0).get("kv").get("key"))).as("no event of the canceled watch").isEqualTo(b);
      assertThat(watchers(follower)).isEqualTo(1);
    }
    Deadlines.await("the follower dropped the watcher of the closed stream", WAIT)
        .until(() -> watchers(follower) == 0);
  }

  @Test
  void aKeepAliveBodyOfSeveralRequestsIsAnsweredInOrderThenEnds() throws Exception {
    URI endpoint = cluster.endpoints().get(followerIndex());
    JsonNode granted = JSON.readTree(post(endpoint, "/v3/lease/grant", "{\"TTL\":30}").body());
    String id = granted.get("ID").asText();
    try (GatewayStream keepAlive = GatewayStream.open(endpoint, "/v3/lease/keepalive",
        "{\"ID\":\"" + id + "\"} {\"ID\":" + id + "}\n{\"ID\":\"424242\"}")) {
      assertThat(keepAlive.status()).isEqualTo(200);
      assertThat(keepAlive.header("content-type")).hasValue("application/json");
      for (int i = 0; i < 2; i++) {
        JsonNode renewed = result(keepAlive.next());
        assertThat(renewed.get("ID").asText()).isEqualTo(id);
        assertThat(renewed.get("TTL").asText()).isEqualTo("30");
      }
      JsonNode unknown = result(keepAlive.next());
      assertThat(unknown.get("ID").asText()).isEqualTo("424242");
      assertThat(unknown.has("TTL")).as("TTL 0 for an unknown lease, left out").isFalse();
      keepAlive.awaitEnd();
    }
    post(endpoint, "/v3/lease/revoke", "{\"ID\":\"" + id + "\"}");
  }

  @Test
  void observeStreamsTheElectionLeader() throws Exception {
    URI endpoint = cluster.endpoints().get(0);
    String election = cluster.uniquePrefix();
    String lease = JSON.readTree(post(endpoint, "/v3/lease/grant", "{\"TTL\":30}").body()).get("ID").asText();
    HttpResponse<String> campaign = post(endpoint, "/v3/election/campaign",
        "{\"name\":\"" + b64(election) + "\",\"lease\":\"" + lease + "\",\"value\":\"" + b64("first") + "\"}");
    assertThat(campaign.statusCode()).as(campaign.body()).isEqualTo(200);
    JsonNode leaderKey = JSON.readTree(campaign.body()).get("leader");
    assertThat(text(leaderKey.get("name"))).isEqualTo(election);

    try (GatewayStream observe = GatewayStream.open(cluster.endpoints().get(1), "/v3/election/observe",
        "{\"name\":\"" + b64(election) + "\"}")) {
      JsonNode leader = result(observe.next());
      assertThat(text(leader.get("kv").get("value"))).isEqualTo("first");
      post(endpoint, "/v3/election/proclaim",
          "{\"leader\":" + JSON.writeValueAsString(leaderKey) + ",\"value\":\"" + b64("second") + "\"}");
      assertThat(text(result(observe.next()).get("kv").get("value"))).isEqualTo("second");
    }
    HttpResponse<String> resign = post(endpoint, "/v3/election/resign", "{\"leader\":" + leaderKey + "}");
    assertThat(resign.statusCode()).as(resign.body()).isEqualTo(200);
    post(endpoint, "/v3/lease/revoke", "{\"ID\":\"" + lease + "\"}");
  }

  @Test
  void callsKeelDoesNotImplementAnswerUnimplemented() throws Exception {
    URI endpoint = cluster.endpoints().get(0);
    HttpResponse<String> auth = post(endpoint, "/v3/auth/user/add", "{\"name\":\"u\",\"password\":\"p\"}");
    assertThat(auth.statusCode()).isEqualTo(501);
    assertThat(auth.body()).isEqualTo("{\"error\":\"keel: adding users and roles is not supported yet, so auth stays off\","
        + "\"message\":\"keel: adding users and roles is not supported yet, so auth stays off\",\"code\":12}");
    // MemberPromote is Keel's own addition to jetcd's rpc.proto, served through the gateway too
    HttpResponse<String> promote = post(endpoint, "/v3/cluster/member/promote", "{\"ID\":\"1\"}");
    assertThat(promote.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(promote.body()).get("error").asText()).isEqualTo("etcdserver: member not found");
    assertThat(JSON.readTree(promote.body()).get("code").asInt()).isEqualTo(5);
    // the request is still read first, as etcd's gateway reads it
    HttpResponse<String> unreadable = post(endpoint, "/v3/cluster/member/promote", "{\"ID\":true}");
    assertThat(unreadable.statusCode()).isEqualTo(400);
    assertThat(unreadable.body()).contains("json: cannot unmarshal bool into Go value of type uint64");
  }

  @Test
  void theHttpAroundTheCallsIsEtcds() throws Exception {
    URI endpoint = cluster.endpoints().get(0);
    HttpResponse<String> preflight = HTTP.send(HttpRequest.newBuilder(endpoint.resolve("/v3/kv/put"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(200);
    assertThat(preflight.body()).isEmpty();
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue("*");
    assertThat(preflight.headers().allValues("access-control-allow-methods"))
        .isEqualTo(List.of("POST, GET, OPTIONS, PUT, DELETE"));

    HttpResponse<String> bare = post(endpoint, "/v3", "{}");
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.headers().firstValue("location")).hasValue("/v3/");

    String key = cluster.uniqueKey().toString(StandardCharsets.UTF_8);
    HttpResponse<String> put = post(endpoint, "/v3beta/kv/put", "{\"key\":\"" + b64(key) + "\",\"value\":\"\"}");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(put.headers().firstValue("grpc-metadata-content-type")).hasValue("application/grpc");
    HttpResponse<String> range = post(endpoint, "/v3/kv/range:", "{\"key\":\"" + b64(key) + "\"}");
    assertThat(JSON.readTree(range.body()).get("count").asText()).isEqualTo("1");
    assertThat(post(endpoint, "/v3/kv/range:get", "{}").statusCode()).isEqualTo(404);
  }
}
