package keel.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.testing.ClusterProcesses;
import keel.testing.KeelCluster;
import keel.testing.RealEtcd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every {@code keel bench} workload, a few hundred requests each (one of them timed, with the
 * progress line), against a one-member Keel in this JVM and against a real etcd 3.4 started as a
 * process, with the same command lines: the generator works against any etcd endpoint. Behaviour
 * only: exit 0, requests answered, no errors, a JSON object with every field. No figure is checked.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BenchSmokeIT {
  @RegisterExtension
  static final KeelCluster keel = KeelCluster.ofSize(1);

  private static final int PUTS = 10;
  private static final int WATCHERS = 20;

  /** The workloads' command lines, without --endpoints and --json. */
  private static final List<List<String>> WORKLOADS = List.of(
      List.of("put", "--total", "200", "--clients", "4", "--conns", "2", "--sequential-keys", "--key-space-size", "50"),
      List.of("txn-put", "--total", "100", "--clients", "4", "--key-space-size", "10", "--txn-ops", "2"),
      List.of("range", "--total", "200", "--clients", "4", "--consistency", "l"),
      List.of("range", "--total", "200", "--clients", "4", "--consistency", "s", "--key-space-size", "20"),
      List.of("mixed", "--duration", "1s", "--clients", "4", "--key-space-size", "20", "--progress"),
      List.of("lease-keepalive", "--total", "100", "--clients", "4", "--conns", "2"),
      List.of("watch-latency", "--total", String.valueOf(PUTS), "--watchers", String.valueOf(WATCHERS), "--conns", "2",
          "--rate", "50"));

  @Test
  void everyWorkloadRunsAgainstKeel() throws Exception {
    runEveryWorkload(keel.endpoints().get(0).toString());
  }

  @Test
  void everyWorkloadRunsUnchangedAgainstEtcd() throws Exception {
    try (ClusterProcesses etcd = RealEtcd.start(1)) {
      runEveryWorkload(etcd.clientUrls().get(0));
    }
  }

  private static void runEveryWorkload(String endpoint) throws Exception {
    for (List<String> workload : WORKLOADS) {
      List<String> args = new ArrayList<>(workload);
      args.addAll(List.of("--endpoints", endpoint, "--json"));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();

      int exit = BenchCommand.execute(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));

      String what = String.join(" ", args) + "\nstdout: " + out.toString(StandardCharsets.UTF_8) + "\nstderr: "
          + err.toString(StandardCharsets.UTF_8);
      assertThat(exit).as(what).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8).strip().lines()).as(what).hasSize(1);
      assertResults(new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8)), workload.get(0), what);
    }
  }

  private static void assertResults(JsonNode json, String workload, String what) {
    assertThat(json.get("workload").asText()).as(what).isEqualTo(workload);
    assertThat(json.get("count").asLong()).as(what).isPositive();
    assertThat(json.get("errors").asLong()).as(what).isZero();
    assertThat(json.get("errorsByMessage").size()).as(what).isZero();
    assertThat(json.get("serverVersion").asText()).as(what).isNotEmpty();
    for (String field : List.of("settings", "runLength", "endpoints", "conns", "clients", "durationSeconds",
        "requestsPerSecond", "latencyMs", "operations", "generatorCpu")) {
      assertThat(json.has(field)).as(what + "\nfield " + field).isTrue();
    }
    for (String figure : List.of("min", "p50", "p90", "p99", "p99.9", "max", "mean")) {
      assertThat(json.get("latencyMs").get(figure).isNumber()).as(what + "\nlatency " + figure).isTrue();
    }
    assertThat(json.get("generatorCpu").get("share").isNumber()).as(what).isTrue();
    assertThat(json.get("generatorCpu").get("mayBeBottleneck").isBoolean()).as(what).isTrue();
    long perOperation = 0;
    for (JsonNode operation : json.get("operations")) {
      perOperation += operation.get("count").asLong();
    }
    assertThat(perOperation).as(what).isEqualTo(json.get("count").asLong());
    if (workload.equals("mixed")) {
      assertThat(json.get("operations").has("range") && json.get("operations").has("put")).as(what).isTrue();
    }
    if (workload.equals("watch-latency")) {
      assertThat(json.get("count").asLong()).as("every watcher saw every put: " + what).isEqualTo(PUTS * WATCHERS);
    }
  }
}
