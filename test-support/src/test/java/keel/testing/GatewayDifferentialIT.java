package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import keel.server.KeelServer;
import keel.server.watch.WatchHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd 3.4's /v3 JSON gateway, differential: one sequence of HTTP requests (java.net.http, HTTP/1.1)
 * against a fresh 1-member real etcd 3.4 and a fresh 1-member in-process Keel. Status code,
 * content type and body must be equal step by step, after masking only what legitimately differs:
 * cluster and member ids and the Raft term everywhere; member names and URLs in the member list;
 * version, sizes, leader and Raft indexes in the status; a server-picked lease id; a remaining TTL
 * of 59 or 60 right after a grant of 60. Revisions are not masked: both start at 1.
 *
 * <p>The watch part opens a stream, reads its created message, puts two keys, reads the two event
 * messages, closes the connection, and then requires the server to have dropped the watcher
 * (etcd: its watcher gauge on /metrics; Keel: its watch hub).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GatewayDifferentialIT {
  @RegisterExtension
  static final KeelCluster keel = KeelCluster.ofSize(1);

  private static final Duration WAIT = Duration.ofSeconds(20);

  /** Every answer carries these; they name the cluster, not the behaviour. */
  private static final UnaryOperator<String> IDS = masking("cluster_id", "member_id", "raft_term");
  private static final UnaryOperator<String> STATUS = then(IDS, masking("version", "dbSize", "leader",
      "raftIndex", "raftTerm", "raftAppliedIndex", "dbSizeInUse"));
  private static final UnaryOperator<String> MEMBERS = then(IDS, masking("ID", "name", "peerURLs", "clientURLs"));
  private static final UnaryOperator<String> LEASE_ID = then(IDS, masking("ID"));
  /** etcd truncates the remaining time to whole seconds: 59 or 60 right after a grant of 60. */
  private static final Pattern FRESH_TTL = Pattern.compile("\"TTL\":\"(59|60)\"");
  private static final UnaryOperator<String> TTL = then(IDS,
      body -> FRESH_TTL.matcher(body).replaceAll(Matcher.quoteReplacement("\"TTL\":\"59..60\"")));

  @Test
  void everyAnswerIsEtcds() throws Exception {
    Transcript etcd;
    try (ClusterProcesses real = RealEtcd.start(1)) {
      URI endpoint = URI.create(real.clientUrls().get(0));
      etcd = run(endpoint, () -> etcdWatchers(endpoint));
    }
    write("etcd", etcd);
    assertKnownEtcdAnswers(etcd);

    KeelServer member = keel.cluster().member(0).orElseThrow();
    Transcript keelTranscript = run(keel.endpoints().get(0), () -> watchers(member.watchHub()));
    write("keel", keelTranscript);

    assertThat(keelTranscript.answers.keySet()).containsExactlyElementsOf(etcd.answers.keySet());
    for (Map.Entry<String, Answer> step : etcd.answers.entrySet()) {
      assertThat(keelTranscript.answers.get(step.getKey())).as(step.getKey()).isEqualTo(step.getValue());
    }
  }

  /** A few answers known from etcd, so that the comparison cannot pass on two empty transcripts. */
  private static void assertKnownEtcdAnswers(Transcript t) {
    assertThat(t.get("put foo=bar")).isEqualTo(new Answer(200, "application/json",
        "{\"header\":{\"cluster_id\":\"<>\",\"member_id\":\"<>\",\"revision\":\"2\",\"raft_term\":\"<>\"}}"));
    assertThat(t.get("put empty key")).isEqualTo(new Answer(400, "application/json",
        "{\"error\":\"etcdserver: key is not provided\",\"message\":\"etcdserver: key is not provided\",\"code\":3}"));
    assertThat(t.get("range at a compacted revision").body())
        .contains("\"etcdserver: mvcc: required revision has been compacted\",\"code\":11");
    assertThat(t.get("lease grant an existing id").status()).isEqualTo(412);
    assertThat(t.get("GET on a POST path")).isEqualTo(new Answer(405, "text/plain; charset=utf-8",
        "Method Not Allowed\n"));
    assertThat(t.get("watch: second event").body()).startsWith("{\"result\":{\"header\":").contains("\"events\":[");
  }

  // --- the sequence ---

  private static Transcript run(URI endpoint, IntSupplier watchers) throws Exception {
    Transcript t = new Transcript(endpoint);
    // fresh: revision 1
    t.post("put foo=bar", "/v3/kv/put", "{\"key\":\"" + b64("foo") + "\",\"value\":\"" + b64("bar") + "\"}");
    t.post("put foo=baz prev_kv", "/v3/kv/put",
        "{\"key\":\"" + b64("foo") + "\",\"value\":\"" + b64("baz") + "\",\"prev_kv\":true}");
    for (int i = 1; i <= 3; i++) {
      t.post("put a/" + i, "/v3/kv/put", "{\"key\":\"" + b64("a/" + i) + "\",\"value\":\"" + b64("v" + i) + "\"}");
    }
    String prefix = "\"key\":\"" + b64("a/") + "\",\"range_end\":\"" + b64("a0") + "\"";
    t.post("range prefix a/", "/v3/kv/range", "{" + prefix + "}");
    t.post("range prefix limit 2", "/v3/kv/range", "{" + prefix + ",\"limit\":2}");
    t.post("range prefix count_only", "/v3/kv/range", "{" + prefix + ",\"count_only\":true}");
    t.post("range prefix keys_only", "/v3/kv/range", "{" + prefix + ",\"keys_only\":true}");
    t.post("range prefix sorted by key, descending", "/v3/kv/range",
        "{" + prefix + ",\"sort_order\":\"DESCEND\",\"sort_target\":\"KEY\"}");
    t.post("range every key by version, camel names", "/v3/kv/range",
        "{\"key\":\"AA==\",\"rangeEnd\":\"AA==\",\"sortOrder\":\"ASCEND\",\"sortTarget\":\"VERSION\"}");
    t.post("range foo at revision 2", "/v3/kv/range", "{\"key\":\"" + b64("foo") + "\",\"revision\":\"2\"}");
    t.post("range a missing key", "/v3/kv/range", "{\"key\":\"" + b64("nope") + "\"}");
    t.post("/v3beta range foo", "/v3beta/kv/range", "{\"key\":\"" + b64("foo") + "\"}");
    t.post("deleterange a/2 prev_kv", "/v3/kv/deleterange", "{\"key\":\"" + b64("a/2") + "\",\"prev_kv\":true}");
    t.post("deleterange prefix a/", "/v3/kv/deleterange", "{" + prefix + "}");
    t.post("txn: value compare succeeds", "/v3/kv/txn", "{\"compare\":[{\"key\":\"" + b64("foo")
        + "\",\"result\":\"EQUAL\",\"target\":\"VALUE\",\"value\":\"" + b64("baz") + "\"}],"
        + "\"success\":[{\"request_put\":{\"key\":\"" + b64("foo") + "\",\"value\":\"" + b64("qux") + "\"}},"
        + "{\"request_range\":{\"key\":\"" + b64("foo") + "\"}}],"
        + "\"failure\":[{\"request_range\":{\"key\":\"" + b64("foo") + "\"}}]}");
    t.post("txn: version compare fails", "/v3/kv/txn", "{\"compare\":[{\"key\":\"" + b64("foo")
        + "\",\"target\":\"VERSION\",\"version\":1}],"
        + "\"success\":[{\"request_delete_range\":{\"key\":\"" + b64("foo") + "\"}}],"
        + "\"failure\":[{\"request_range\":{\"key\":\"" + b64("foo") + "\",\"keys_only\":true}}]}");
    t.post("txn: create revision compare, put and delete", "/v3/kv/txn", "{\"compare\":[{\"key\":\"" + b64("foo")
        + "\",\"result\":\"LESS\",\"target\":\"CREATE\",\"create_revision\":\"100\"}],"
        + "\"success\":[{\"requestPut\":{\"key\":\"" + b64("bar") + "\",\"value\":\"" + b64("1") + "\"}},"
        + "{\"request_delete_range\":{\"key\":\"" + b64("foo") + "\",\"prev_kv\":true}}]}");
    t.post("compaction at 5", "/v3/kv/compaction", "{\"revision\":5}");
    t.post("range at a compacted revision", "/v3/kv/range", "{\"key\":\"" + b64("foo") + "\",\"revision\":3}");
    t.post("range at a future revision", "/v3/kv/range", "{\"key\":\"" + b64("foo") + "\",\"revision\":100}");
    t.post("compaction at 5 again", "/v3/kv/compaction", "{\"revision\":\"5\"}");
    t.post("compaction in the future", "/v3/kv/compaction", "{\"revision\":1000}");

    t.post("lease grant TTL 60 ID 1000", "/v3/lease/grant", "{\"TTL\":60,\"ID\":1000}");
    t.post("lease grant an existing id", "/v3/lease/grant", "{\"TTL\":60,\"ID\":\"1000\"}");
    t.post("put l1 with lease 1000", "/v3/kv/put",
        "{\"key\":\"" + b64("l1") + "\",\"value\":\"" + b64("x") + "\",\"lease\":\"1000\"}");
    t.post("put with an unknown lease", "/v3/kv/put",
        "{\"key\":\"" + b64("l2") + "\",\"value\":\"" + b64("x") + "\",\"lease\":424242}");
    t.post("lease timetolive with keys", "/v3/lease/timetolive", "{\"ID\":1000,\"keys\":true}", TTL);
    t.post("/v3/kv/lease/timetolive of an unknown lease", "/v3/kv/lease/timetolive", "{\"ID\":999}");
    t.post("lease leases", "/v3/lease/leases", "{}");
    t.post("/v3/kv/lease/leases", "/v3/kv/lease/leases", "");
    t.post("lease keepalive (a stream of one)", "/v3/lease/keepalive", "{\"ID\":1000}");
    t.post("lease revoke 1000", "/v3/lease/revoke", "{\"ID\":1000}");
    t.post("/v3/kv/lease/revoke 1000 again", "/v3/kv/lease/revoke", "{\"ID\":1000}");
    t.post("range l1 after the revoke", "/v3/kv/range", "{\"key\":\"" + b64("l1") + "\"}");
    Answer granted = t.post("lease grant, server-picked id", "/v3/lease/grant", "{\"TTL\":30}", LEASE_ID);
    String picked = t.lastRawBody().replaceAll(".*\"ID\":\"(-?\\d+)\".*", "$1");
    assertThat(granted.status()).isEqualTo(200);
    t.post("lease revoke the server-picked id", "/v3/lease/revoke", "{\"ID\":\"" + picked + "\"}");

    t.post("put empty key", "/v3/kv/put", "{\"key\":\"\",\"value\":\"" + b64("x") + "\"}");
    t.post("put without a key", "/v3/kv/put", "{\"value\":\"" + b64("x") + "\"}");
    t.post("range with malformed JSON", "/v3/kv/range", "{bad");
    t.post("range with an unknown field", "/v3/kv/range", "{\"key\":\"" + b64("bar") + "\",\"bogus\":[1,{}]}");
    t.post("range with a wrongly typed field", "/v3/kv/range", "{\"key\":\"" + b64("bar") + "\",\"limit\":true}");
    t.post("range with bad base64", "/v3/kv/range", "{\"key\":\"Zm9v==\"}");
    t.post("range with an unknown enum name", "/v3/kv/range",
        "{\"key\":\"" + b64("bar") + "\",\"sort_order\":\"UPWARDS\"}");
    t.post("watch with malformed JSON", "/v3/watch", "{\"create_request\":");
    t.send("GET on a POST path", HttpRequest.newBuilder(endpoint.resolve("/v3/kv/range")).GET(), IDS);
    t.post("an unknown path under /v3", "/v3/kv/nope", "{}");

    t.post("member list", "/v3/cluster/member/list", "{}", MEMBERS);
    t.post("maintenance status", "/v3/maintenance/status", "{}", STATUS);

    watch(t, endpoint, watchers);
    return t;
  }

  /**
   * Opens a watch on the prefix w/, reads the created message, puts w/1 and w/2, reads one event
   * message each, then closes the connection and waits for the server to drop the watcher.
   */
  private static void watch(Transcript t, URI endpoint, IntSupplier watchers) throws Exception {
    String create = "{\"create_request\":{\"key\":\"" + b64("w/") + "\",\"range_end\":\"" + b64("w0")
        + "\",\"prev_kv\":true}}";
    try (GatewayStream watch = GatewayStream.open(endpoint, "/v3/watch", create)) {
      String contentType = watch.header("content-type").orElse("");
      t.record("watch: created", new Answer(watch.status(), contentType, IDS.apply(watch.next())));
      Deadlines.await("one watcher while the stream is open", WAIT).until(() -> watchers.getAsInt() == 1);

      t.post("put w/1 (watched)", "/v3/kv/put", "{\"key\":\"" + b64("w/1") + "\",\"value\":\"" + b64("1") + "\"}");
      t.record("watch: first event", new Answer(watch.status(), contentType, IDS.apply(watch.next())));
      t.post("put w/1 again (watched, with prev_kv)", "/v3/kv/put",
          "{\"key\":\"" + b64("w/1") + "\",\"value\":\"" + b64("2") + "\"}");
      t.record("watch: second event", new Answer(watch.status(), contentType, IDS.apply(watch.next())));
    } // the client goes away: the gateway cancels the stream, the server its watcher
    Deadlines.await("the watcher dropped after the client closed", WAIT).until(() -> watchers.getAsInt() == 0);
  }

  // --- watcher counts ---

  private static final Pattern WATCHER_GAUGE = Pattern.compile("(?m)^etcd_debugging_mvcc_watcher_total (\\S+)$");

  private static int etcdWatchers(URI endpoint) {
    String metrics = Transcript.send(HttpRequest.newBuilder(endpoint.resolve("/metrics")).GET()).body();
    Matcher gauge = WATCHER_GAUGE.matcher(metrics);
    assertThat(gauge.find()).as("etcd's watcher gauge").isTrue();
    return (int) Double.parseDouble(gauge.group(1));
  }

  private static int watchers(WatchHub hub) {
    return hub.syncedCount() + hub.unsyncedCount();
  }

  // --- transcripts ---

  record Answer(int status, String contentType, String body) {
    @Override
    public String toString() {
      return status + " " + contentType + "\n" + body;
    }
  }

  /** The answers of one server, by step name, in order. */
  private static final class Transcript {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    private final URI endpoint;
    private final Map<String, Answer> answers = new LinkedHashMap<>();
    private String lastRawBody;

    Transcript(URI endpoint) {
      this.endpoint = endpoint;
    }

    Answer post(String step, String path, String body) {
      return post(step, path, body, IDS);
    }

    Answer post(String step, String path, String body, UnaryOperator<String> mask) {
      return send(step, HttpRequest.newBuilder(endpoint.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body)),
          mask);
    }

    Answer send(String step, HttpRequest.Builder request, UnaryOperator<String> mask) {
      HttpResponse<String> response = send(request);
      lastRawBody = response.body();
      return record(step, new Answer(response.statusCode(),
          response.headers().firstValue("content-type").orElse(""), mask.apply(response.body())));
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
      try {
        return HTTP.send(request.timeout(Deadlines.scaled(WAIT)).build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    Answer record(String step, Answer answer) {
      assertThat(answers.put(step, answer)).as("step names are unique: " + step).isNull();
      return answer;
    }

    String lastRawBody() {
      return lastRawBody;
    }

    Answer get(String step) {
      assertThat(answers).containsKey(step);
      return answers.get(step);
    }

    String render() {
      StringBuilder out = new StringBuilder();
      answers.forEach((step, answer) -> out.append("== ").append(step).append('\n').append(answer).append('\n'));
      return out.toString();
    }
  }

  private static void write(String name, Transcript t) throws IOException {
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target/gateway-transcript-" + name + ".txt"), t.render(), StandardCharsets.UTF_8);
  }

  // --- masks ---

  /** Replaces the value of each named member, wherever it appears, by "<>" (a string or a list). */
  private static UnaryOperator<String> masking(String... names) {
    List<Pattern> patterns = new ArrayList<>();
    for (String name : names) {
      patterns.add(Pattern.compile("\"" + Pattern.quote(name) + "\":(\"[^\"]*\"|\\[[^\\]]*\\])"));
    }
    return body -> {
      for (Pattern pattern : patterns) {
        body = pattern.matcher(body).replaceAll(m -> Matcher.quoteReplacement(
            m.group().substring(0, m.group().indexOf(':') + 1) + (m.group(1).startsWith("[") ? "[\"<>\"]" : "\"<>\"")));
      }
      return body;
    };
  }

  private static UnaryOperator<String> then(UnaryOperator<String> first, UnaryOperator<String> second) {
    return body -> second.apply(first.apply(body));
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
