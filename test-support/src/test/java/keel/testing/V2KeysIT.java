package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The v2 keys API replicated through the log, on an in-process 3-member Keel with
 * {@code --enable-v2}: writes on any member, the leader's TTL sweep seen alike on every member,
 * waits and streams across members, refusals that change nothing, and the tree in snapshots.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class V2KeysIT {
  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3, b -> b.enableV2(true).snapshotCount(25));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private static URI endpoint(int member) {
    return cluster.cluster().member(member).orElseThrow().clientUrls().get(0);
  }

  private static HttpResponse<String> send(int member, String method, String pathAndQuery, String form)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint(member).resolve(pathAndQuery)).timeout(Duration.ofSeconds(20));
    if (form == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .method(method, HttpRequest.BodyPublishers.ofString(form));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static long etcdIndex(HttpResponse<?> response) {
    return Long.parseLong(response.headers().firstValue("x-etcd-index").orElseThrow());
  }

  private static int childCount(HttpResponse<String> listing) {
    try {
      JsonNode nodes = JSON.readTree(listing.body()).get("node").get("nodes");
      return nodes == null ? 0 : nodes.size();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String prefix() {
    return "/v2/keys/" + cluster.uniquePrefix().replace("/", "");
  }

  @Test
  void writesOnAFollowerAreReadEverywhereWithEtcdsHeaders() throws Exception {
    int follower = (cluster.awaitLeader() + 1) % 3;
    String dir = prefix();
    HttpResponse<String> created = send(follower, "PUT", dir + "/a", "value=one");
    assertThat(created.statusCode()).isEqualTo(201);
    JsonNode body = JSON.readTree(created.body());
    assertThat(body.get("action").asText()).isEqualTo("set");
    assertThat(body.get("node").get("value").asText()).isEqualTo("one");
    long index = body.get("node").get("modifiedIndex").asLong();
    assertThat(etcdIndex(created)).isEqualTo(index);
    assertThat(created.headers().firstValue("x-raft-index")).isPresent();
    assertThat(created.headers().firstValue("x-raft-term")).isPresent();
    assertThat(created.headers().firstValue("x-etcd-cluster-id")).isPresent();

    for (int member = 0; member < 3; member++) {
      HttpResponse<String> read = send(member, "GET", dir + "/a?quorum=true", null);
      assertThat(read.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(read.body()).get("node").get("modifiedIndex").asLong()).isEqualTo(index);
      assertThat(etcdIndex(read)).isGreaterThanOrEqualTo(index);
    }

    HttpResponse<String> again = send(follower, "PUT", dir + "/a?prevExist=false", "value=two");
    assertThat(again.statusCode()).isEqualTo(412);
    assertThat(JSON.readTree(again.body()).get("errorCode").asInt()).isEqualTo(105);
  }

  @Test
  void malformedRequestsAreRefusedInEtcdsWordsAndChangeNothing() throws Exception {
    String key = prefix() + "/k";
    long before = etcdIndex(send(0, "GET", "/v2/keys/", null));
    HttpResponse<String> badTtl = send(0, "PUT", key + "?ttl=abc", "value=x");
    assertThat(badTtl.statusCode()).isEqualTo(400);
    assertThat(badTtl.body()).isEqualTo("{\"errorCode\":202,\"message\":\"The given TTL in POST form is not a number\","
        + "\"cause\":\"invalid value for \\\"ttl\\\"\",\"index\":0}\n");
    HttpResponse<String> badEscape = send(0, "PUT", key, "value=%zz");
    assertThat(badEscape.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badEscape.body()).get("errorCode").asInt()).isEqualTo(210);
    HttpResponse<String> patch = send(0, "PATCH", key, "value=x");
    assertThat(patch.statusCode()).isEqualTo(405);
    assertThat(patch.headers().firstValue("allow")).hasValue("HEAD,GET,PUT,POST,DELETE");
    HttpResponse<String> missing = send(0, "GET", key, null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(etcdIndex(send(0, "GET", "/v2/keys/?quorum=true", null))).isEqualTo(before);
  }

  @Test
  void ttlExpiryIsOneLogDecisionSeenByWatchersOnEveryMember() throws Exception {
    String dir = prefix();
    HttpResponse<String> put = send(1, "PUT", dir + "/t", "value=v&ttl=1");
    assertThat(put.statusCode()).isEqualTo(201);
    long setIndex = etcdIndex(put);
    long setAt = System.nanoTime();
    List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
    for (int member = 0; member < 3; member++) {
      // from the history or live, whichever member and whenever it registers: the next change of t
      HttpRequest wait = HttpRequest.newBuilder(endpoint(member).resolve(
          dir + "/t?wait=true&waitIndex=" + (setIndex + 1))).timeout(Duration.ofSeconds(30)).GET().build();
      waits.add(HTTP.sendAsync(wait, HttpResponse.BodyHandlers.ofString()));
    }
    Set<Long> expireIndexes = new HashSet<>();
    for (CompletableFuture<HttpResponse<String>> wait : waits) {
      JsonNode event = JSON.readTree(wait.get(30, TimeUnit.SECONDS).body());
      assertThat(event.get("action").asText()).isEqualTo("expire");
      assertThat(event.get("prevNode").get("value").asText()).isEqualTo("v");
      expireIndexes.add(event.get("node").get("modifiedIndex").asLong());
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - setAt);
    System.out.printf("V2KeysIT: a 1 s TTL key expired within %d ms, at index %s on all three members%n",
        millis, expireIndexes);
    assertThat(expireIndexes).hasSize(1);
    assertThat(expireIndexes.iterator().next()).isGreaterThan(setIndex);
    for (int member = 0; member < 3; member++) {
      int m = member;
      Deadlines.await("expired on member " + m, Duration.ofSeconds(10))
          .until(() -> send(m, "GET", dir + "/t", null).statusCode() == 404);
    }
  }

  @Test
  void aStreamWatchOnOneMemberSeesWritesMadeOnAnother() throws Exception {
    String dir = prefix();
    HttpRequest watch = HttpRequest.newBuilder(endpoint(2).resolve(dir + "?wait=true&stream=true&recursive=true"))
        .timeout(Duration.ofSeconds(60)).GET().build();
    HttpResponse<InputStream> stream = HTTP.send(watch, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
      for (int i = 0; i < 3; i++) {
        assertThat(send(0, "PUT", dir + "/s" + i, "value=" + i).statusCode()).isEqualTo(201);
      }
      assertThat(send(0, "DELETE", dir + "/s1", null).statusCode()).isEqualTo(200);
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        JsonNode event = JSON.readTree(lines.readLine());
        seen.add(event.get("action").asText() + " " + event.get("node").get("key").asText());
      }
      String key = dir.substring("/v2/keys".length());
      assertThat(seen).containsExactly("set " + key + "/s0", "set " + key + "/s1", "set " + key + "/s2",
          "delete " + key + "/s1");
    }
  }

  @Test
  void aMemberRestartedAfterSnapshotsServesTheWholeTree() throws Exception {
    String dir = prefix();
    int leader = cluster.awaitLeader();
    int restarted = (leader + 2) % 3;
    for (int i = 0; i < 30; i++) {
      send(leader, "PUT", dir + "/before" + i, "value=" + i);
    }
    cluster.cluster().stop(restarted);
    for (int i = 0; i < 30; i++) {
      assertThat(send(leader, "PUT", dir + "/after" + i, "value=" + i).statusCode()).isEqualTo(201);
    }
    long index = etcdIndex(send(leader, "GET", "/v2/keys/?quorum=true", null));
    cluster.cluster().start(restarted);
    HttpResponse<String> listing = Deadlines.await("the restarted member catches up", Duration.ofSeconds(60))
        .until(() -> send(restarted, "GET", dir + "?recursive=true", null), r -> r.statusCode() == 200
            && etcdIndex(r) >= index && childCount(r) == 60);
    assertThat(JSON.readTree(listing.body()).get("node").get("nodes")).hasSize(60);
  }

  private static long storeWatchers(int member) throws Exception {
    return JSON.readTree(send(member, "GET", "/v2/stats/store", null).body()).get("watchers").asLong();
  }

  /**
   * A stream watch whose client never reads: once the socket is full, events wait in the watcher's
   * bounded queue, and when that overflows the store drops the watcher, as etcd does; writes go on.
   */
  @Test
  void aStreamWatcherThatNeverReadsIsDroppedNotBuffered() throws Exception {
    String dir = prefix();
    int member = 1;
    Deadlines.await("no v2 watchers left from other tests", Duration.ofSeconds(20))
        .until(() -> storeWatchers(member) == 0);
    URI endpoint = endpoint(member);
    try (java.net.Socket socket = new java.net.Socket(endpoint.getHost(), endpoint.getPort())) {
      socket.setReceiveBufferSize(4096);
      socket.getOutputStream().write(("GET " + dir + "?wait=true&stream=true&recursive=true HTTP/1.1\r\n"
          + "Host: " + endpoint.getHost() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      Deadlines.await("the stream watcher registered", Duration.ofSeconds(20)).until(() -> storeWatchers(member) == 1);
      String value = "x".repeat(64 * 1024);
      List<CompletableFuture<HttpResponse<String>>> writes = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        HttpRequest put = HttpRequest.newBuilder(endpoint(0).resolve(dir + "/k" + (i % 8)))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .PUT(HttpRequest.BodyPublishers.ofString("value=" + value)).build();
        writes.add(HTTP.sendAsync(put, HttpResponse.BodyHandlers.ofString()));
        if (writes.size() == 16) {
          for (CompletableFuture<HttpResponse<String>> w : writes) {
            assertThat(w.get(60, TimeUnit.SECONDS).statusCode()).isIn(200, 201);
          }
          writes.clear();
        }
      }
      Deadlines.await("the store dropped the watcher that never reads", Duration.ofSeconds(30))
          .until(() -> storeWatchers(member) == 0);
    }
  }
}
