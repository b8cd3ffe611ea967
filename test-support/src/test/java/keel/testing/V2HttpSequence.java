package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.LongFunction;

/**
 * The v2 keys API over plain HTTP, where etcdctl cannot go: malformed parameters, a directory PUT
 * with a value, an unsupported method, a value over v3's 1.5 MiB limit, and a wait on an index that
 * fell out of the 1000-event history. Each step is rendered as status, the headers a client reads
 * and the body, with indexes relative to the sequence's start ({@link V2Mask}).
 */
final class V2HttpSequence {
  private static final int MIB = 1024 * 1024;
  /** More writes than etcd's v2 event history holds (1000), so the first of them is forgotten. */
  static final int HISTORY_WRITES = 1010;
  private static final int BODY_SHOWN = 400;

  private V2HttpSequence() {}

  /** One request: its path may hold {@code {base+k}}, resolved to the sequence's start index + k. */
  private record Request(String label, String method, String path, String form) {}

  /** Runs the sequence on a follower of {@code cluster} and returns each step rendered. */
  static List<String> record(ClusterProcesses cluster, String p) {
    V2Http http = V2Http.followersThenLeader(cluster).get(0);
    V2Mask mask = new V2Mask(http.index());
    List<String> steps = new ArrayList<>();
    String k = "/v2/keys" + p;
    for (Request r : malformed(k)) {
      steps.add(exchange(steps.size() + 1, r, r.path(), http, mask, p));
    }
    steps.add(renderBulk(steps.size() + 1, http, k + "/hist", p));
    // the history now holds the last 1000 events: [index-999, index]
    long now = http.index();
    List<Request> history = List.of(
        new Request("wait on the first write, cleared from history", "GET", k + "/hist?wait=true&waitIndex={base+1}", null),
        new Request("wait on the oldest event kept", "GET", k + "/hist?wait=true&waitIndex={index-999}", null),
        new Request("wait on the newest event forgotten", "GET", k + "/hist?wait=true&waitIndex={index-1000}", null),
        new Request("recursive wait on the newest event forgotten", "GET", k + "?wait=true&recursive=true&waitIndex={index-1000}", null));
    for (Request r : history) {
      String path = r.path()
          .replace("{base+1}", Long.toString(mask.base() + 1))
          .replace("{index-999}", Long.toString(now - 999))
          .replace("{index-1000}", Long.toString(now - 1000));
      steps.add(exchange(steps.size() + 1, r, path, http, mask, p));
    }
    return steps;
  }

  private static List<Request> malformed(String k) {
    String big = "value=" + "x".repeat(MIB * 16 / 10);
    return List.of(
        new Request("ttl not a number (form)", "PUT", k + "/m", "value=x&ttl=abc"),
        new Request("ttl not a number (query)", "PUT", k + "/m?ttl=abc", "value=x"),
        new Request("ttl negative", "PUT", k + "/m", "value=x&ttl=-1"),
        new Request("ttl too large for int64", "PUT", k + "/m", "value=x&ttl=99999999999999999999"),
        new Request("ttl empty: no TTL", "PUT", k + "/m", "value=x&ttl="),
        new Request("prevIndex not a number", "PUT", k + "/m", "value=y&prevIndex=abc"),
        new Request("prevIndex negative", "PUT", k + "/m", "value=y&prevIndex=-1"),
        new Request("prevIndex 0: no condition", "PUT", k + "/m", "value=y&prevIndex=0"),
        new Request("prevExist not a bool", "PUT", k + "/m", "value=z&prevExist=maybe"),
        new Request("DELETE prevIndex not a number", "DELETE", k + "/m?prevIndex=abc", null),
        new Request("recursive not a bool", "GET", k + "/m?recursive=maybe", null),
        new Request("sorted not a bool", "GET", k + "/m?sorted=abc", null),
        new Request("quorum not a bool", "GET", k + "/m?quorum=abc", null),
        new Request("wait not a bool", "GET", k + "/m?wait=maybe", null),
        new Request("waitIndex not a number", "GET", k + "/m?wait=true&waitIndex=abc", null),
        new Request("unknown query parameter on GET", "GET", k + "/m?bogus=1", null),
        new Request("unknown query parameter on PUT", "PUT", k + "/m?bogus=1", "value=u"),
        new Request("unknown form field on PUT", "PUT", k + "/m", "value=u2&bogus=1"),
        new Request("PUT dir=true with a value (form)", "PUT", k + "/d", "dir=true&value=x"),
        new Request("PUT dir=true with a value on that dir", "PUT", k + "/d", "dir=true&value=x"),
        new Request("PUT dir=true with a value (query)", "PUT", k + "/d2?dir=true&value=x", null),
        new Request("PUT without a value", "PUT", k + "/novalue", null),
        new Request("PUT prevExist=false on a key", "PUT", k + "/m", "value=z&prevExist=false"),
        new Request("PUT prevValue mismatch", "PUT", k + "/m", "value=z&prevValue=nope"),
        new Request("PUT prevExist=true on a missing key", "PUT", k + "/missing", "value=z&prevExist=true"),
        new Request("PUT a key in the dir", "PUT", k + "/d/k", "value=v"),
        new Request("DELETE dir=true on a non-empty dir", "DELETE", k + "/d?dir=true", null),
        new Request("PUT dir=true on the root", "PUT", "/v2/keys/?dir=true", null),
        new Request("POST to a key", "POST", k + "/m", "value=z"),
        new Request("POST in-order", "POST", k + "/queue", "value=job"),
        new Request("PATCH", "PATCH", k + "/m", "value=z"),
        new Request("DELETE missing", "DELETE", k + "/missing", null),
        new Request("DELETE a dir without dir=true", "DELETE", k + "/d", null),
        new Request("GET missing", "GET", k + "/missing", null),
        new Request("GET the dir", "GET", k + "/d", null),
        new Request("PUT a 1.6 MiB value", "PUT", k + "/big", big),
        new Request("GET the 1.6 MiB value", "GET", k + "/big", null),
        new Request("DELETE the 1.6 MiB value", "DELETE", k + "/big", null),
        // paths that are not clean: Go's mux redirects them, whatever the route (a `..` segment
        // too, which Armeria refuses before any route: see README)
        new Request("GET with // in the path", "GET", k + "//m?quorum=false&x=1", null),
        new Request("PUT with /./ in the path", "PUT", k + "/./m2", "value=x"),
        new Request("GET what the PUT with /./ would have written", "GET", k + "/m2", null),
        new Request("HEAD with /./ in the path", "HEAD", k + "/./m", null),
        new Request("GET with encoded slashes", "GET", k + "/a%2F%2Fb", null),
        new Request("GET //version", "GET", "//version", null),
        new Request("POST /v3//kv/range", "POST", "/v3//kv/range", "{}"),
        new Request("GET with a trailing slash, clean", "GET", k + "/m/", null));
  }

  /**
   * {@value #HISTORY_WRITES} PUTs of one value to one key, 16 at a time: every event but the first
   * looks the same whatever order they land in. Recorded as the count of each status (the first
   * creates, 201, the others replace, 200; -1 for no answer).
   */
  private static String renderBulk(int number, V2Http http, String path, String p) {
    Semaphore inFlight = new Semaphore(16);
    List<CompletableFuture<Integer>> statuses = new ArrayList<>();
    for (int i = 0; i < HISTORY_WRITES; i++) {
      inFlight.acquireUninterruptibly();
      statuses.add(http.sendAsync("PUT", path, "value=h")
          .handle((response, failure) -> failure == null ? response.statusCode() : -1)
          .whenComplete((status, failure) -> inFlight.release()));
    }
    Map<Integer, Integer> counts = new TreeMap<>();
    statuses.forEach(f -> counts.merge(f.join(), 1, Integer::sum));
    return hidePrefix("### " + number + ". " + HISTORY_WRITES + " PUTs\n> PUT " + path + " x" + HISTORY_WRITES
        + "\n> value=h\n< statuses " + counts + "\n", p);
  }

  /** Sends {@code r} (to {@code path}, its path with tokens resolved) and renders the answer. */
  private static String exchange(int number, Request r, String path, V2Http http, V2Mask mask, String p) {
    StringBuilder out = new StringBuilder();
    out.append("### ").append(number).append(". ").append(r.label()).append('\n');
    out.append("> ").append(r.method()).append(' ').append(hidePrefix(r.path(), p)).append('\n');
    if (r.form() != null) {
      out.append("> ").append(shorten(hidePrefix(r.form(), p))).append('\n');
    }
    HttpResponse<String> response;
    try {
      response = http.send(r.method(), path, r.form());
    } catch (RuntimeException e) {
      return hidePrefix(out.append("< no answer: ").append(e).append('\n').toString(), p);
    }
    out.append("< ").append(response.statusCode()).append('\n');
    for (String name : List.of("Content-Type", "Allow", "Location")) {
      V2Http.header(response, name).ifPresent(v -> out.append("< ").append(name).append(": ").append(v).append('\n'));
    }
    LongFunction<String> index = mask::index;
    out.append("< X-Etcd-Index: ")
        .append(V2Http.header(response, "X-Etcd-Index").map(v -> index.apply(Long.parseLong(v))).orElse("(none)"))
        .append('\n');
    for (String name : List.of("X-Etcd-Cluster-Id", "X-Raft-Index", "X-Raft-Term")) {
      out.append("< ").append(name).append(": ")
          .append(V2Http.header(response, name).isPresent() ? "(set)" : "(none)").append('\n');
    }
    out.append(shorten(hidePrefix(mask.mask(response.body()), p))).append('\n');
    return hidePrefix(out.toString(), p);
  }

  /** Long bodies as their start, length and digest, so a 1.6 MiB value still compares exactly. */
  private static String shorten(String text) {
    if (text.length() <= BODY_SHOWN) {
      return text.endsWith("\n") ? text.substring(0, text.length() - 1) + "\\n" : text;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return text.substring(0, 120) + "... (" + text.length() + " chars, sha256 " + HexFormat.of().formatHex(digest, 0, 8) + ")";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hidePrefix(String text, String p) {
    return text.replace(p, "<p>");
  }

  /** What etcd 3.4.23 answers, so that two empty or equally broken transcripts cannot pass. */
  static void assertKnownEtcdAnswers(List<String> steps) {
    assertThat(step(steps, "ttl not a number (form)")).contains("< 400\n").contains("< X-Etcd-Index: 0\n")
        .contains("{\"errorCode\":202,\"message\":\"The given TTL in POST form is not a number\","
            + "\"cause\":\"invalid value for \\\"ttl\\\"\",\"index\":0}\\n");
    assertThat(step(steps, "waitIndex not a number")).contains("< 400\n")
        .contains("\"errorCode\":203,\"message\":\"The given index in POST form is not a number\"");
    assertThat(step(steps, "unknown query parameter on GET")).contains("< 200\n");
    assertThat(step(steps, "PATCH")).contains("< 405\n").contains("< Allow: HEAD,GET,PUT,POST,DELETE\n");
    assertThat(step(steps, "PUT a 1.6 MiB value")).contains("< 201\n");
    assertThat(step(steps, "GET with // in the path")).contains("< 301\n")
        .contains("< Location: /v2/keys<p>/m?quorum=false&x=1\n");
    assertThat(step(steps, "GET what the PUT with /./ would have written")).contains("< 404\n");
    assertThat(step(steps, HISTORY_WRITES + " PUTs")).contains("< statuses {200=" + (HISTORY_WRITES - 1) + ", 201=1}");
    assertThat(step(steps, "wait on the first write, cleared from history")).contains("< 400\n")
        .contains("{\"errorCode\":401,\"message\":\"The event in requested index is outdated and cleared\","
            + "\"cause\":\"the requested history has been cleared [");
    assertThat(step(steps, "wait on the oldest event kept")).contains("< 200\n").contains("\"action\":\"set\"");
    assertThat(step(steps, "wait on the newest event forgotten")).contains("< 400\n").contains("\"errorCode\":401");
  }

  private static String step(List<String> steps, String label) {
    return steps.stream().filter(s -> s.split("\n", 2)[0].matches("### [0-9]+\\. \\Q" + label + "\\E")).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no step " + label));
  }
}
