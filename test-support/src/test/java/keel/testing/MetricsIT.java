package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.PutOption;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import keel.server.embed.EmbeddedCluster;
import keel.server.embed.FreePorts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's /metrics on an in-process 3-member Keel after a write load through one member: every
 * page must parse as strict text format 0.0.4 and tell a consistent story about the cluster.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MetricsIT {
  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3);

  private static final int PUTS = 300;
  private static final int VALUE_BYTES = 100;
  /** Puts in flight at once: enough to let proposals share log syncs. */
  private static final int WINDOW = 50;
  /** etcd 3.4 answers /metrics with exactly this (promhttp's text format 0.0.4). */
  private static final String ETCD_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  /** The member the load's client talks to. */
  private static final int CLIENT_MEMBER = 0;

  @BeforeAll
  static void writeLoadThroughOneMember() throws Exception {
    ByteSequence value = ByteSequence.from(new byte[VALUE_BYTES]);
    try (Client client = Client.builder().endpoints(cluster.endpoints().get(CLIENT_MEMBER)).build()) {
      KV kv = client.getKVClient();
      String prefix = cluster.uniquePrefix();
      for (int start = 0; start < PUTS; start += WINDOW) {
        List<CompletableFuture<?>> window = new ArrayList<>();
        for (int i = start; i < Math.min(PUTS, start + WINDOW); i++) {
          window.add(kv.put(bytes(prefix + i), value));
        }
        CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      // A request etcd refuses after applying it: a non-OK grpc_code on the page.
      assertThatThrownBy(() -> kv.put(bytes(prefix + "leased"), value,
          PutOption.builder().withLeaseId(0x7eed).build()).get())
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("requested lease not found");
    }
  }

  private static PrometheusText.Page scrape(URI endpoint) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(endpoint.resolve("/metrics"))
        .timeout(Duration.ofSeconds(10)).GET().build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue(ETCD_CONTENT_TYPE);
    return PrometheusText.parse(response.body());
  }

  private static List<PrometheusText.Page> scrapeAll() throws Exception {
    List<PrometheusText.Page> pages = new ArrayList<>();
    for (URI endpoint : cluster.endpoints()) {
      pages.add(scrape(endpoint));
    }
    return pages;
  }

  /** Pages of all members once the load has settled: nothing pending, everything applied everywhere. */
  private static List<PrometheusText.Page> settledPages() {
    return Deadlines.await("every member idle with the load applied", Duration.ofSeconds(30))
        .until(MetricsIT::scrapeAll, pages -> pages.stream().allMatch(page ->
            page.value("etcd_server_proposals_pending") == 0
                && page.value("etcd_debugging_mvcc_keys_total") >= PUTS
                && page.value("etcd_server_proposals_applied_total")
                    == page.value("etcd_server_proposals_committed_total")));
  }

  @Test
  void everyMemberServesTheLoadsStoryUnderEtcdsNames() {
    List<PrometheusText.Page> pages = settledPages();
    for (int i = 0; i < pages.size(); i++) {
      PrometheusText.Page page = pages.get(i);
      System.out.printf("member %d: is_leader=%s committed=%s applied=%s db=%s fsyncs=%s fsync_sum=%.4fs"
              + " leader_changes=%s received_bytes=%s%n", i,
          page.value("etcd_server_is_leader"), page.value("etcd_server_proposals_committed_total"),
          page.value("etcd_server_proposals_applied_total"), page.value("etcd_mvcc_db_total_size_in_bytes"),
          page.value("etcd_disk_wal_fsync_duration_seconds_count"),
          page.value("etcd_disk_wal_fsync_duration_seconds_sum"),
          page.value("etcd_server_leader_changes_seen_total"),
          page.value("etcd_network_client_grpc_received_bytes_total"));

      assertThat(page.value("etcd_server_has_leader")).isEqualTo(1);
      assertThat(page.value("etcd_server_leader_changes_seen_total")).isGreaterThanOrEqualTo(1);
      // Puts proposed together share a Raft entry (group commit): at least one per window of puts.
      assertThat(page.value("etcd_server_proposals_committed_total")).isGreaterThanOrEqualTo(PUTS / WINDOW);
      assertThat(page.value("etcd_server_proposals_failed_total")).isZero();
      // Every member applied the same puts: PUTS keys of VALUE_BYTES each, at least.
      assertThat(page.value("etcd_mvcc_db_total_size_in_bytes")).isGreaterThan((double) PUTS * VALUE_BYTES);
      assertThat(page.value("etcd_disk_wal_fsync_duration_seconds_count")).isPositive();
      assertThat(page.value("etcd_disk_wal_fsync_duration_seconds_sum")).isPositive();
      assertThat(page.family("etcd_server_id").samples()).singleElement()
          .satisfies(s -> assertThat(s.labels().get("server_id")).matches("[0-9a-f]{1,16}"));
      assertThat(page.families().keySet()).anyMatch(name -> name.startsWith("jvm_"));
      assertThat(page.families()).containsKeys("jvm_memory_used_bytes", "jvm_threads_current",
          "process_cpu_seconds_total");
      assertThat(page.value("etcd_debugging_mvcc_keys_total")).isGreaterThanOrEqualTo(PUTS);
    }
  }

  /**
   * {@code --listen-metrics-urls}: a listener of its own with {@code /metrics} and {@code /health}
   * and nothing else (a 404 for the rest, a 405 for OPTIONS: no CORS there, as etcd).
   */
  @Test
  void metricsUrlsServeMetricsAndHealthOnly() throws Exception {
    URI metricsUrl = URI.create("http://127.0.0.1:" + FreePorts.allocate("127.0.0.1"));
    Path dir = Files.createTempDirectory("keel-metrics-url");
    try (EmbeddedCluster one = EmbeddedCluster.builder().members(1).dataDir(dir)
        .flags(b -> b.listenMetricsUrls(List.of(metricsUrl))).start()) {
      Deadlines.await("a leader", Duration.ofSeconds(30)).until(() -> one.leaderIndex().isPresent());
      PrometheusText.Page page = scrape(metricsUrl);
      assertThat(page.value("etcd_server_has_leader")).isEqualTo(1);
      HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(metricsUrl.resolve("/health"))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("{\"health\":\"true\"}");
      HttpResponse<String> version = HTTP.send(HttpRequest.newBuilder(metricsUrl.resolve("/version"))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(version.statusCode()).isEqualTo(404);
      assertThat(version.body()).isEqualTo("404 page not found\n");
      HttpResponse<String> options = HTTP.send(HttpRequest.newBuilder(metricsUrl.resolve("/health"))
          .timeout(Duration.ofSeconds(10)).method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(options.statusCode()).isEqualTo(405);
    } finally {
      TempDirs.deleteQuietly(dir);
    }
  }

  @Test
  void exactlyOneMemberIsLeader() {
    List<PrometheusText.Page> pages = Deadlines.await("one member reporting is_leader", Duration.ofSeconds(30))
        .until(MetricsIT::scrapeAll, all -> all.stream().mapToDouble(p -> p.value("etcd_server_is_leader")).sum() == 1);
    assertThat(pages).allSatisfy(page -> assertThat(page.value("etcd_server_is_leader")).isIn(0.0, 1.0));
  }

  @Test
  void grpcCountersSeeThePutsOnTheMemberTheClientUsed() throws Exception {
    List<PrometheusText.Page> pages = settledPages();
    PrometheusText.Page used = pages.get(CLIENT_MEMBER);
    Map<String, String> put = Map.of("grpc_service", "etcdserverpb.KV", "grpc_method", "Put", "grpc_type", "unary");

    double handledOk = 0;
    double handledNotFound = 0;
    for (PrometheusText.Page page : pages) {
      handledOk += page.sum("grpc_server_handled_total", with(put, "grpc_code", "OK"));
      handledNotFound += page.sum("grpc_server_handled_total", with(put, "grpc_code", "NotFound"));
    }
    System.out.printf("Put handled OK=%s NotFound=%s; client member received=%s sent=%s bytes%n", handledOk,
        handledNotFound, used.value("etcd_network_client_grpc_received_bytes_total"),
        used.value("etcd_network_client_grpc_sent_bytes_total"));

    assertThat(handledOk).isGreaterThanOrEqualTo(PUTS);
    assertThat(handledNotFound).isGreaterThanOrEqualTo(1);
    assertThat(used.sum("grpc_server_started_total", put)).isGreaterThanOrEqualTo(PUTS + 1);
    assertThat(used.sum("grpc_server_msg_received_total", put)).isGreaterThanOrEqualTo(PUTS + 1);
    assertThat(used.value("etcd_network_client_grpc_received_bytes_total"))
        .isGreaterThan((double) PUTS * VALUE_BYTES);
    assertThat(used.value("etcd_network_client_grpc_sent_bytes_total")).isPositive();
    // Methods nobody called are there at 0, as go-grpc-prometheus initialises them for etcd.
    assertThat(used.samples("grpc_server_handled_total")).anySatisfy(s -> {
      assertThat(s.labels()).containsEntry("grpc_method", "Compact").containsEntry("grpc_code", "Unavailable");
      assertThat(s.value()).isZero();
    });
  }

  private static Map<String, String> with(Map<String, String> labels, String name, String value) {
    Map<String, String> more = new java.util.HashMap<>(labels);
    more.put(name, value);
    return more;
  }
}
