package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import keel.server.embed.EmbeddedCluster;
import keel.server.embed.FreePorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's /metrics on an in-process 3-member Keel after a write load through one member: every
 * page must parse as strict text format 0.0.4 and tell a consistent story about the cluster.
 * Beside it a single-member real etcd 3.4: the families both have must have the same types and
 * labels, and the store's, leases' and watches' counters must move on Keel as they move on etcd
 * for the same requests.
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
  private static final Duration SETTLE = Duration.ofSeconds(30);
  /** The families issue #10 added, which real etcd 3.4's page has too. */
  private static final List<String> ADDED = List.of(
      "etcd_mvcc_range_total", "etcd_mvcc_put_total", "etcd_mvcc_delete_total", "etcd_mvcc_txn_total",
      "etcd_debugging_mvcc_range_total", "etcd_debugging_mvcc_put_total", "etcd_debugging_mvcc_delete_total",
      "etcd_debugging_mvcc_txn_total", "etcd_debugging_mvcc_total_put_size_in_bytes",
      "etcd_debugging_mvcc_db_compaction_keys_total", "etcd_debugging_mvcc_current_revision",
      "etcd_debugging_mvcc_compact_revision", "etcd_debugging_mvcc_db_total_size_in_bytes",
      "etcd_debugging_mvcc_watch_stream_total",
      "etcd_debugging_mvcc_watcher_total", "etcd_debugging_mvcc_slow_watcher_total",
      "etcd_debugging_mvcc_events_total", "etcd_debugging_mvcc_pending_events_total",
      "etcd_debugging_lease_granted_total", "etcd_debugging_lease_revoked_total",
      "etcd_debugging_lease_renewed_total", "etcd_debugging_lease_ttl_total",
      "etcd_debugging_server_lease_expired_total", "etcd_debugging_snap_save_total_duration_seconds",
      "etcd_server_snapshot_apply_in_progress_total", "etcd_server_is_learner", "etcd_server_version",
      "etcd_server_go_version");

  /** A single-member real etcd 3.4, the reference. */
  private static ClusterProcesses etcd;

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

  @BeforeAll
  static void startRealEtcd() {
    etcd = RealEtcd.start(1);
  }

  @AfterAll
  static void stopRealEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static List<URI> etcdEndpoints() {
    return etcd.clientUrls().stream().map(URI::create).toList();
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

  @Test
  void etcdsFamiliesHaveTheSameTypesLabelsAndBucketsOnKeel() throws Exception {
    PrometheusText.Page real = scrape(etcdEndpoints().get(0));
    PrometheusText.Page keel = scrape(cluster.endpoints().get(CLIENT_MEMBER));
    assertThat(real.families()).containsKeys(ADDED.toArray(String[]::new));
    assertThat(keel.families()).containsKeys(ADDED.toArray(String[]::new));
    Set<String> shared = new TreeSet<>(keel.families().keySet());
    shared.retainAll(real.families().keySet());
    shared.removeIf(name -> !name.startsWith("etcd_") && !name.startsWith("grpc_"));
    for (String name : shared) {
      PrometheusText.Family ours = keel.family(name);
      PrometheusText.Family theirs = real.family(name);
      assertThat(ours.type()).as("type of %s", name).isEqualTo(theirs.type());
      assertThat(labelNames(ours)).as("labels of %s", name).isEqualTo(labelNames(theirs));
      if (ours.type() == PrometheusText.Type.HISTOGRAM) {
        assertThat(bucketBounds(ours)).as("buckets of %s", name).isEqualTo(bucketBounds(theirs));
      }
    }
    Set<String> missing = new TreeSet<>(real.families().keySet());
    missing.removeAll(keel.families().keySet());
    missing.removeIf(name -> !name.startsWith("etcd_"));
    System.out.printf("%d etcd/grpc families alike on both; etcd's not on Keel: %s%n", shared.size(), missing);
  }

  /**
   * The same requests through one member of etcd and of Keel: every member counts the writes it
   * applies, the member asked counts the reads it serves, and each counts as etcd's MVCC
   * transactions count (a put with prev_kv is a range, a put and a txn; a txn that writes counts its
   * compares apart from its ops; a compaction is a range).
   */
  @Test
  void storeCountersMoveOnKeelAsOnEtcd() throws Exception {
    storeCountersMove(etcdEndpoints());
    storeCountersMove(cluster.endpoints());
  }

  private static void storeCountersMove(List<URI> members) throws Exception {
    URI asked = members.get(0);
    String prefix = "metrics-store-" + System.nanoTime() + "/";
    ByteSequence k = bytes(prefix + "k");
    ByteSequence k2 = bytes(prefix + "k2");
    ByteSequence k3 = bytes(prefix + "k3");
    Cmp exists = new Cmp(k, Cmp.Op.GREATER, CmpTarget.version(0));
    Map<URI, PrometheusText.Page> before = scrapeEach(members);
    long revision;
    try (Client client = Client.builder().endpoints(asked).build()) {
      KV kv = client.getKVClient();
      kv.put(k, bytes("v")).get(10, TimeUnit.SECONDS); // put
      kv.put(k, bytes("vv"), PutOption.builder().withPrevKV().build()).get(10, TimeUnit.SECONDS); // range, put: txn
      kv.get(k).get(10, TimeUnit.SECONDS); // asked: range
      kv.txn().If(exists).Then(Op.put(k2, bytes("v"), PutOption.DEFAULT), Op.put(k3, bytes("v"), PutOption.DEFAULT))
          .commit().get(10, TimeUnit.SECONDS); // range; put, put: txn
      kv.delete(k3).get(10, TimeUnit.SECONDS); // delete
      TxnResponse readOnly = kv.txn().If(exists).Then(Op.get(k, GetOption.DEFAULT))
          .commit().get(10, TimeUnit.SECONDS); // asked: range, range: txn
      revision = readOnly.getHeader().getRevision();
      long putBytes = (k.size() + 1) + (k.size() + 2) + (k2.size() + 1) + (k3.size() + 1); // keys and values
      Deadlines.await("the writes counted on every member", SETTLE).untilAsserted(() -> {
        Map<URI, PrometheusText.Page> after = scrapeEach(members);
        for (URI member : members) {
          PrometheusText.Page was = before.get(member);
          PrometheusText.Page now = after.get(member);
          boolean served = member.equals(asked);
          for (String family : List.of("etcd_mvcc_", "etcd_debugging_mvcc_")) {
            assertThat(delta(was, now, family + "put_total")).as("%s puts on %s", family, member).isEqualTo(4);
            assertThat(delta(was, now, family + "delete_total")).as("%s deletes on %s", family, member).isEqualTo(1);
            assertThat(delta(was, now, family + "range_total")).as("%s ranges on %s", family, member)
                .isEqualTo(served ? 5 : 2);
            assertThat(delta(was, now, family + "txn_total")).as("%s txns on %s", family, member)
                .isEqualTo(served ? 3 : 2);
          }
          assertThat(delta(was, now, "etcd_debugging_mvcc_total_put_size_in_bytes")).isEqualTo(putBytes);
          assertThat(now.value("etcd_debugging_mvcc_current_revision")).isEqualTo(revision);
        }
      });
      Map<URI, PrometheusText.Page> beforeCompaction = scrapeEach(members);
      kv.compact(revision).get(10, TimeUnit.SECONDS);
      Deadlines.await("the compaction counted on every member", SETTLE).untilAsserted(() -> {
        Map<URI, PrometheusText.Page> after = scrapeEach(members);
        for (URI member : members) {
          PrometheusText.Page was = beforeCompaction.get(member);
          PrometheusText.Page now = after.get(member);
          assertThat(now.value("etcd_debugging_mvcc_compact_revision")).isEqualTo(revision);
          // its answer reads the current revision with a range
          assertThat(delta(was, now, "etcd_mvcc_range_total")).as("ranges on %s", member).isEqualTo(1);
          // k's first version, k3's and k3's deletion, at least
          assertThat(delta(was, now, "etcd_debugging_mvcc_db_compaction_keys_total")).isGreaterThanOrEqualTo(3);
        }
      });
    }
  }

  /** Grants and revokes count on every member as applied, renewals on the leader. */
  @Test
  void leaseCountersMoveOnKeelAsOnEtcd() throws Exception {
    leaseCountersMove(etcdEndpoints());
    leaseCountersMove(cluster.endpoints());
  }

  private static void leaseCountersMove(List<URI> members) throws Exception {
    Map<URI, PrometheusText.Page> before = scrapeEach(members);
    try (Client client = Client.builder().endpoints(members.get(0)).build()) {
      Lease lease = client.getLeaseClient();
      long id = lease.grant(60).get(10, TimeUnit.SECONDS).getID();
      keepAliveOnce(members.get(0), id);
      lease.revoke(id).get(10, TimeUnit.SECONDS);
    }
    Deadlines.await("the lease counted on every member", SETTLE).untilAsserted(() -> {
      Map<URI, PrometheusText.Page> after = scrapeEach(members);
      double renewed = 0;
      for (URI member : members) {
        PrometheusText.Page was = before.get(member);
        PrometheusText.Page now = after.get(member);
        assertThat(delta(was, now, "etcd_debugging_lease_granted_total")).as("grants on %s", member).isEqualTo(1);
        assertThat(delta(was, now, "etcd_debugging_lease_revoked_total")).as("revokes on %s", member).isEqualTo(1);
        assertThat(delta(was, now, "etcd_debugging_lease_ttl_total_count")).isEqualTo(1);
        assertThat(bucket(now, "etcd_debugging_lease_ttl_total", 64) - bucket(was, "etcd_debugging_lease_ttl_total", 64))
            .isEqualTo(1);
        assertThat(bucket(now, "etcd_debugging_lease_ttl_total", 32) - bucket(was, "etcd_debugging_lease_ttl_total", 32))
            .isZero();
        assertThat(delta(was, now, "etcd_debugging_server_lease_expired_total")).isZero();
        renewed += delta(was, now, "etcd_debugging_lease_renewed_total");
      }
      assertThat(renewed).as("renewals seen by the leader").isEqualTo(1);
    });
  }

  /**
   * One keep-alive request on a stream of its own. Not jetcd's keepAliveOnce: it sends its request
   * again as it ends the stream, which etcd and Keel renew again, unless the client went first.
   */
  private static void keepAliveOnce(URI member, long id) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(member.getHost(), member.getPort()).usePlaintext().build();
    try {
      CompletableFuture<LeaseKeepAliveResponse> answer = new CompletableFuture<>();
      StreamObserver<LeaseKeepAliveRequest> requests = LeaseGrpc.newStub(channel).leaseKeepAlive(new StreamObserver<>() {
        @Override
        public void onNext(LeaseKeepAliveResponse response) {
          answer.complete(response);
        }

        @Override
        public void onError(Throwable t) {
          answer.completeExceptionally(t);
        }

        @Override
        public void onCompleted() { }
      });
      requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
      assertThat(answer.get(10, TimeUnit.SECONDS).getTTL()).isEqualTo(60);
      requests.onCompleted();
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A watch raises the stream and watcher gauges of the member it is on; its events count there. */
  @Test
  void watchCountersMoveOnKeelAsOnEtcd() throws Exception {
    watchCountersMove(etcdEndpoints().get(0));
    watchCountersMove(cluster.endpoints().get(CLIENT_MEMBER));
  }

  private static void watchCountersMove(URI member) throws Exception {
    ByteSequence key = bytes("metrics-watch-" + System.nanoTime());
    PrometheusText.Page before = scrape(member);
    BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
    try (Client watching = Client.builder().endpoints(member).build();
        Client writing = Client.builder().endpoints(member).build()) {
      Watch.Watcher watcher = watching.getWatchClient().watch(key, responses::add);
      Deadlines.await("the watch counted", SETTLE).untilAsserted(() -> {
        PrometheusText.Page now = scrape(member);
        assertThat(delta(before, now, "etcd_debugging_mvcc_watch_stream_total")).isEqualTo(1);
        assertThat(delta(before, now, "etcd_debugging_mvcc_watcher_total")).isEqualTo(1);
        assertThat(delta(before, now, "etcd_debugging_mvcc_slow_watcher_total")).isZero();
      });
      writing.getKVClient().put(key, bytes("v")).get(10, TimeUnit.SECONDS);
      WatchResponse response = responses.poll(Deadlines.scaled(SETTLE).toMillis(), TimeUnit.MILLISECONDS);
      assertThat(response).isNotNull();
      assertThat(response.getEvents()).hasSize(1);
      Deadlines.await("the event counted", SETTLE).untilAsserted(() -> {
        PrometheusText.Page now = scrape(member);
        assertThat(delta(before, now, "etcd_debugging_mvcc_events_total")).isEqualTo(1);
        assertThat(now.value("etcd_debugging_mvcc_pending_events_total"))
            .isEqualTo(before.value("etcd_debugging_mvcc_pending_events_total"));
      });
      watcher.close();
      Deadlines.await("the watcher gone", SETTLE).untilAsserted(() ->
          assertThat(delta(before, scrape(member), "etcd_debugging_mvcc_watcher_total")).isZero());
    }
    Deadlines.await("the stream gone", SETTLE).untilAsserted(() ->
        assertThat(delta(before, scrape(member), "etcd_debugging_mvcc_watch_stream_total")).isZero());
  }

  /** Keel's snapshot of its state, here taken for Maintenance Snapshot, is etcd's snapshot save. */
  @Test
  void aSnapshotSavedIsObservedOnTheMemberThatSavedIt() throws Exception {
    URI member = cluster.endpoints().get(1);
    PrometheusText.Page before = scrape(member);
    try (Client client = Client.builder().endpoints(member).build()) {
      // something applied since any earlier snapshot, so the member takes a new one
      client.getKVClient().put(bytes("metrics-snapshot-" + System.nanoTime()), bytes("v")).get(10, TimeUnit.SECONDS);
      client.getMaintenanceClient().snapshot(OutputStream.nullOutputStream()).get(30, TimeUnit.SECONDS);
    }
    PrometheusText.Page after = scrape(member);
    assertThat(delta(before, after, "etcd_debugging_snap_save_total_duration_seconds_count")).isEqualTo(1);
    assertThat(delta(before, after, "etcd_debugging_snap_save_total_duration_seconds_sum")).isPositive();
    assertThat(after.value("etcd_server_snapshot_apply_in_progress_total")).isZero();
  }

  @Test
  void versionGaugesNameTheEtcdApiAndTheRuntime() throws Exception {
    PrometheusText.Page page = scrape(cluster.endpoints().get(CLIENT_MEMBER));
    assertThat(page.family("etcd_server_version").samples()).singleElement().satisfies(s -> {
      assertThat(s.labels()).containsEntry("server_version", "3.4.0");
      assertThat(s.value()).isEqualTo(1);
    });
    assertThat(page.family("etcd_server_go_version").samples()).singleElement()
        .satisfies(s -> assertThat(s.labels().get("server_go_version")).startsWith("java"));
    assertThat(page.value("etcd_server_is_learner")).isZero();
  }

  private static Map<URI, PrometheusText.Page> scrapeEach(List<URI> members) throws Exception {
    Map<URI, PrometheusText.Page> pages = new LinkedHashMap<>();
    for (URI member : members) {
      pages.put(member, scrape(member));
    }
    return pages;
  }

  private static double delta(PrometheusText.Page before, PrometheusText.Page after, String sample) {
    return after.value(sample) - before.value(sample);
  }

  /** A histogram's cumulative count at the bucket bounded by {@code bound}, however the page prints it. */
  private static double bucket(PrometheusText.Page page, String histogram, double bound) {
    return page.samples(histogram + "_bucket").stream()
        .filter(s -> !s.labels().get("le").equals("+Inf") && Double.parseDouble(s.labels().get("le")) == bound)
        .findFirst().orElseThrow(() -> new AssertionError("no bucket le=" + bound + " in " + histogram))
        .value();
  }

  /** Label names of a family's samples, {@code le} and {@code quantile} left out. */
  private static Set<String> labelNames(PrometheusText.Family family) {
    return family.samples().stream().flatMap(s -> s.labels().keySet().stream())
        .filter(name -> !name.equals("le") && !name.equals("quantile"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** A histogram's bucket bounds as numbers: etcd prints {@code le="1"} where Keel prints {@code le="1.0"}. */
  private static List<Double> bucketBounds(PrometheusText.Family family) {
    return family.samples().stream().filter(s -> s.name().endsWith("_bucket"))
        .map(s -> s.labels().get("le"))
        .map(le -> le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le))
        .distinct().toList();
  }
}
