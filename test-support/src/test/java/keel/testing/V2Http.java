package keel.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Plain HTTP/1.1 to one member's client URL, for what the v2 tests need besides etcdctl: the v2
 * index ({@code X-Etcd-Index}), a node's indexes, the member's Raft state and the cluster version.
 * Lenient on purpose: against a server that does not serve a route yet it answers "absent", so a
 * differential test still records the whole transcript and fails on the comparison.
 */
final class V2Http {
  static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final URI endpoint;

  V2Http(String clientUrl) {
    this.endpoint = URI.create(clientUrl);
  }

  URI endpoint() {
    return endpoint;
  }

  /** {@code method pathAndQuery} with {@code form} (if not null) as an url-encoded form body. */
  HttpResponse<String> send(String method, String pathAndQuery, String form) {
    try {
      return CLIENT.send(request(method, pathAndQuery, form), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + endpoint + pathAndQuery, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + method + " " + pathAndQuery, e);
    }
  }

  CompletableFuture<HttpResponse<String>> sendAsync(String method, String pathAndQuery, String form) {
    return CLIENT.sendAsync(request(method, pathAndQuery, form), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private HttpRequest request(String method, String pathAndQuery, String form) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint + pathAndQuery)).timeout(REQUEST_TIMEOUT);
    if (form == null) {
      return request.method(method, HttpRequest.BodyPublishers.noBody()).build();
    }
    return request.header("Content-Type", "application/x-www-form-urlencoded")
        .method(method, HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8))
        .build();
  }

  HttpResponse<String> get(String pathAndQuery) {
    return send("GET", pathAndQuery, null);
  }

  /** The member's v2 index now ({@code X-Etcd-Index} of {@code GET /v2/keys/}); 0 if it sends none. */
  long index() {
    return header(get("/v2/keys/"), "X-Etcd-Index").map(Long::parseLong).orElse(0L);
  }

  /** {@code createdIndex} or {@code modifiedIndex} of the node at {@code key}, if it exists. */
  OptionalLong nodeIndex(String key, String field) {
    HttpResponse<String> response = get("/v2/keys" + key);
    if (response.statusCode() != 200) {
      return OptionalLong.empty();
    }
    try {
      JsonNode value = JSON.readTree(response.body()).path("node").path(field);
      return value.isNumber() ? OptionalLong.of(value.asLong()) : OptionalLong.empty();
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /** {@code state} of {@code /v2/stats/self}: {@code StateLeader} or {@code StateFollower}; "" if none. */
  String state() {
    try {
      HttpResponse<String> response = get("/v2/stats/self");
      return response.statusCode() == 200 ? JSON.readTree(response.body()).path("state").asText("") : "";
    } catch (IOException | UncheckedIOException e) {
      return "";
    }
  }

  /** {@code etcdcluster} of {@code /version}, "" if unknown. */
  String clusterVersion() {
    try {
      return JSON.readTree(get("/version").body()).path("etcdcluster").asText("");
    } catch (IOException e) {
      return "";
    }
  }

  static Optional<String> header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name);
  }

  /**
   * The members of a running cluster by role, from {@code /v2/stats/self}: once exactly one says
   * {@code StateLeader}, the followers in member order, then the leader.
   */
  static List<V2Http> followersThenLeader(ClusterProcesses cluster) {
    List<V2Http> members = cluster.clientUrls().stream().map(V2Http::new).toList();
    return Deadlines.await("one leader in " + cluster.clusterName(), Duration.ofSeconds(30))
        .until(() -> {
          List<V2Http> followers = new ArrayList<>();
          List<V2Http> leaders = new ArrayList<>();
          for (V2Http member : members) {
            (member.state().equals("StateLeader") ? leaders : followers).add(member);
          }
          followers.addAll(leaders);
          return leaders.size() == 1 ? followers : null;
        }, ordered -> ordered != null);
  }

  /**
   * Waits until every member reports cluster version 3.4.0. A fresh etcd writes its cluster version
   * into the v2 store some time after it is healthy (first 3.0.0, then 3.4.0); a sequence that
   * compares v2 indexes must start after that write.
   */
  static void awaitClusterVersion(ClusterProcesses cluster) {
    List<V2Http> members = cluster.clientUrls().stream().map(V2Http::new).toList();
    Deadlines.await("cluster version 3.4.0 on " + cluster.clusterName(), Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> members.stream().allMatch(m -> m.clusterVersion().equals("3.4.0")));
  }
}
