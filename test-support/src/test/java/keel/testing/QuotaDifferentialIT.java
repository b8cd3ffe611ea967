package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The space quota end to end, as etcd's maintenance guide walks an operator through it, against a
 * fresh 3-member etcd 3.4 and a fresh 3-member Keel, both with {@code --quota-backend-bytes=2 MiB}:
 * the write that would pass the quota is refused and raises the NOSPACE alarm, every member lists
 * it, writes that could grow the store stay refused (deletes, reads and compaction do not) through
 * a compaction and a defragment until {@code alarm disarm}; then writes pass again. The same output,
 * member ids masked, and {@code /health} false on every member while the alarm is raised.
 *
 * <p>A value of 60% of the quota fits once and never twice, whatever each store's own overhead.
 */
@Timeout(value = 300)
class QuotaDifferentialIT {
  private static final long QUOTA = 2L << 20;
  private static final byte[] BIG = new byte[(int) (QUOTA * 6 / 10)];

  static {
    Arrays.fill(BIG, (byte) 'q');
  }

  @Test
  void theQuotaScenarioPrintsWhatEtcdPrints() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = transcript(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("quota-transcript-etcd.txt");
    assertKnownEtcdAnswers(etcd);

    EtcdctlTranscript keel = transcript(EtcdctlDifferentialIT.KEEL, p);
    keel.write("quota-transcript-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, QuotaDifferentialIT::maskAlarmMembers);
  }

  /** An alarm names the member that raised it in decimal, and each cluster's ids are its own. */
  static String maskAlarmMembers(String text) {
    return text.replaceAll("memberID:[0-9]+", "memberID:<id>");
  }

  private static void assertKnownEtcdAnswers(EtcdctlTranscript t) {
    assertThat(t.result("put the first big value").exitCode()).isZero();
    assertThat(t.result("put the second big value").stderr())
        .endsWith("Error: etcdserver: mvcc: database space exceeded\n");
    assertThat(maskAlarmMembers(t.result("alarm list").stdout())).isEqualTo("memberID:<id> alarm:NOSPACE \n");
    assertThat(t.result("put small while the alarm is raised").stderr())
        .endsWith("Error: etcdserver: mvcc: database space exceeded\n");
    assertThat(t.result("lease grant while the alarm is raised").stderr())
        .endsWith("Error: failed to grant lease (etcdserver: mvcc: database space exceeded)\n");
    assertThat(t.result("del the big value").stdout()).isEqualTo("1\n");
    assertThat(t.result("put small after compact and defrag, still armed").stderr())
        .endsWith("Error: etcdserver: mvcc: database space exceeded\n");
    assertThat(maskAlarmMembers(t.result("alarm disarm").stdout())).isEqualTo("memberID:<id> alarm:NOSPACE \n");
    assertThat(t.result("alarm list after disarm").stdout()).isEmpty();
    assertThat(t.result("put small after disarm").stdout()).isEqualTo("OK\n");
  }

  private static EtcdctlTranscript transcript(Target target, String p) {
    try (ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(3)
        .extraFlags("--quota-backend-bytes=" + QUOTA)
        .clusterName(target.name() + "-q-" + p.substring(3, 8)).start()) {
      Etcdctl all = Etcdctl.of(cluster.clientEndpoints());
      EtcdctlTranscript t = new EtcdctlTranscript(p);
      List<Step> steps = untilRefused(p);
      t.add(steps.get(0), all.run(steps.get(0).args(), steps.get(0).stdin()));
      awaitDbSizeAtLeast(cluster, BIG.length); // etcd's backend commits its writes every 100 ms
      for (Step step : steps.subList(1, steps.size())) {
        t.add(step, all.run(step.args(), step.stdin()));
      }
      for (String endpoint : cluster.clientEndpoints().split(",")) { // the alarm went through the log
        Step step = Step.of("alarm list on one member", "alarm", "list");
        t.add(step, Deadlines.await("the alarm listed on " + endpoint, Duration.ofSeconds(10))
            .until(() -> Etcdctl.of(endpoint).run(step.args(), step.stdin()), r -> !r.stdout().isEmpty()));
      }
      assertUnhealthyEverywhere(target, cluster);
      for (Step step : recovery(p)) {
        t.add(step, all.run(step.args(), step.stdin()));
      }
      return t;
    }
  }

  private static List<Step> untilRefused(String p) {
    List<Step> s = new ArrayList<>();
    s.add(Step.withStdin("put the first big value", BIG, "put", p + "big"));                       // 2
    s.add(Step.withStdin("put the second big value", BIG, "put", p + "big2"));
    s.add(Step.of("alarm list", "alarm", "list"));
    s.add(Step.of("put small while the alarm is raised", "put", p + "small", "v"));
    s.add(Step.of("lease grant while the alarm is raised", "lease", "grant", "60"));
    s.add(Step.withStdin("txn with a put while the alarm is raised", "\n\nput " + p + "small v\n\n", "txn"));
    s.add(Step.withStdin("read-only txn while the alarm is raised", "\n\nget " + p + "small\n\n", "txn"));
    s.add(Step.of("get the big key, keys only", "get", p + "big", "--keys-only"));
    return s;
  }

  /** etcd's documented way out: delete, compact, defragment, disarm. */
  private static List<Step> recovery(String p) {
    List<Step> s = new ArrayList<>();
    s.add(Step.of("del the big value", "del", p + "big"));                                         // 3
    s.add(Step.of("compact", "compact", "3", "--physical"));
    s.add(Step.of("defrag", "defrag"));
    s.add(Step.of("put small after compact and defrag, still armed", "put", p + "small", "v"));
    s.add(Step.of("alarm disarm", "alarm", "disarm"));
    s.add(Step.of("alarm list after disarm", "alarm", "list"));
    s.add(Step.of("put small after disarm", "put", p + "small", "v"));                            // 4
    s.add(Step.of("get small", "get", p + "small"));
    return s;
  }

  /** Until every member's {@code endpoint status} reports a db size of at least {@code bytes}. */
  private static void awaitDbSizeAtLeast(ClusterProcesses cluster, long bytes) {
    java.util.regex.Pattern dbSize = java.util.regex.Pattern.compile("\"dbSize\":(\\d+)");
    for (String endpoint : cluster.clientEndpoints().split(",")) {
      Deadlines.await(endpoint + "'s db size at least " + bytes, Duration.ofSeconds(10))
          .until(() -> Etcdctl.of(endpoint).run("endpoint", "status", "-w", "json"), r -> {
            java.util.regex.Matcher m = dbSize.matcher(r.stdout());
            return m.find() && Long.parseLong(m.group(1)) >= bytes;
          });
    }
  }

  private static void assertUnhealthyEverywhere(Target target, ClusterProcesses cluster) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    for (String url : cluster.clientUrls()) {
      HttpResponse<String> response = Deadlines.await(target.name() + " " + url + "/health while NOSPACE is raised",
          Duration.ofSeconds(10)).until(() -> http.send(HttpRequest.newBuilder(URI.create(url + "/health"))
              .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()),
          r -> r.body().contains("false"));
      assertThat(response.body().trim()).as("%s %s/health", target.name(), url).isEqualTo("{\"health\":\"false\"}");
    }
  }
}
