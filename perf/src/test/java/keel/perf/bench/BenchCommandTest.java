package keel.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The flags of every workload, parsed and checked; nothing connects (a recorder stands in for the run). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BenchCommandTest {
  private static final String ENDPOINT = "--endpoints=http://127.0.0.1:2379";

  private Target target;
  private Load load;
  private Workload workload;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return BenchCommand.execute(args, print(out), print(err), (t, l, w) -> {
      target = t;
      load = l;
      workload = w;
      return 0;
    });
  }

  private static PrintStream print(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void putTakesEtcdsDefaults() {
    assertThat(run("put", ENDPOINT)).isZero();

    assertThat(target).isEqualTo(new Target(List.of(URI.create("http://127.0.0.1:2379")), 1,
        Duration.ofSeconds(5), false, false));
    assertThat(load).isEqualTo(new Load(1, RunLength.ofTotal(10_000), 0));
    assertThat(((PutWorkload) workload).keys).isEqualTo(new Keys(8, 8, 1, false));
  }

  @Test
  void putTakesEveryLoadAndKeyFlag() {
    assertThat(run("put", "--endpoints", "http://127.0.0.1:2379,127.0.0.2:2379", "--conns", "3", "--clients", "30",
        "--duration", "1m30s", "--rate", "500", "--key-size", "12", "--val-size", "256", "--key-space-size",
        "100000", "--sequential-keys", "--json", "--progress", "--dial-timeout", "2s")).isZero();

    assertThat(target).isEqualTo(new Target(
        List.of(URI.create("http://127.0.0.1:2379"), URI.create("http://127.0.0.2:2379")), 3,
        Duration.ofSeconds(2), true, true));
    assertThat(load).isEqualTo(new Load(30, RunLength.ofDuration(Duration.ofSeconds(90)), 500));
    assertThat(((PutWorkload) workload).keys).isEqualTo(new Keys(12, 256, 100_000, true));
  }

  @Test
  void eachWorkloadGetsItsOwnFlags() {
    assertThat(run("range", ENDPOINT, "--consistency", "s", "--total", "5")).isZero();
    assertThat(((RangeWorkload) workload).consistency).isEqualTo(Consistency.SERIALIZABLE);
    assertThat(load.length()).isEqualTo(RunLength.ofTotal(5));

    assertThat(run("range", ENDPOINT)).isZero();
    assertThat(((RangeWorkload) workload).consistency).isEqualTo(Consistency.LINEARIZABLE);

    assertThat(run("mixed", ENDPOINT)).isZero();
    assertThat(((MixedWorkload) workload).chooser.readRatio()).isEqualTo(0.9);
    assertThat(run("mixed", ENDPOINT, "--read-ratio", "0.5", "--consistency", "s")).isZero();
    assertThat(((MixedWorkload) workload).chooser.readRatio()).isEqualTo(0.5);
    assertThat(((MixedWorkload) workload).consistency).isEqualTo(Consistency.SERIALIZABLE);

    assertThat(run("txn-put", ENDPOINT, "--key-space-size", "10", "--txn-ops", "4")).isZero();
    assertThat(((TxnPutWorkload) workload).txnOps).isEqualTo(4);

    assertThat(run("lease-keepalive", ENDPOINT, "--clients", "7")).isZero();
    assertThat(workload).isInstanceOf(LeaseKeepAliveWorkload.class);
    assertThat(load.clients()).isEqualTo(7);
  }

  @Test
  void watchLatencyHasAThousandWatchersAndOneKeyPerPutter() {
    assertThat(run("watch-latency", ENDPOINT, "--clients", "3", "--key-size", "4")).isZero();

    WatchLatencyWorkload watch = (WatchLatencyWorkload) workload;
    assertThat(watch.watchers).isEqualTo(1000);
    assertThat(watch.keys).isEqualTo(new Keys(4, 8, 3, true));
    assertThat(run("watch-latency", ENDPOINT, "--watchers", "20")).isZero();
    assertThat(((WatchLatencyWorkload) workload).watchers).isEqualTo(20);
  }

  @Test
  void aMissingEndpointIsOneLineAndExitTwo() {
    assertThat(run("put", "--total", "10")).isEqualTo(2);

    assertThat(err()).isEqualTo("keel bench put: Missing required option: '--endpoints=URL'"
        + " (see 'keel bench put --help')" + System.lineSeparator());
    assertThat(workload).isNull();
  }

  @Test
  void badFlagsAreOneLineEachAndExitTwo() {
    assertUsageError(List.of("put", ENDPOINT, "--bogus"), "keel bench put: Unknown option: '--bogus'");
    assertUsageError(List.of(), "keel bench: name a workload: choose put, txn-put, range, watch-latency, "
        + "lease-keepalive or mixed");
    assertUsageError(List.of("get", ENDPOINT), "keel bench: unknown workload 'get': choose put, txn-put,");
    assertUsageError(List.of("--bogus"), "keel bench: Unknown option: '--bogus'");
    assertUsageError(List.of("put", ENDPOINT, "--total", "5", "--duration", "5s"),
        "--total=<total>, --duration=DURATION are mutually exclusive");
    assertUsageError(List.of("put", ENDPOINT, "--duration", "5 minutes"), "time: unknown unit \" minutes\" in duration \"5 minutes\"");
    assertUsageError(List.of("put", ENDPOINT, "--clients", "0"), "--clients must be at least 1, was 0");
    assertUsageError(List.of("put", ENDPOINT, "--conns", "0"), "--conns must be at least 1, was 0");
    assertUsageError(List.of("put", ENDPOINT, "--total", "0"), "--total must be at least 1, was 0");
    assertUsageError(List.of("put", ENDPOINT, "--rate", "-1"), "--rate must be 0 (unlimited) or a positive number");
    assertUsageError(List.of("put", ENDPOINT, "--key-space-size", "1000", "--key-size", "2"),
        "--key-space-size 1000 needs more distinct keys than 2-digit keys hold: raise --key-size to at least 3");
    assertUsageError(List.of("put", "--endpoints", "https://127.0.0.1:2379"), "only http:// endpoints are supported");
    assertUsageError(List.of("put", "--endpoints", "http://127.0.0.1"), "needs a host and a port");
    assertUsageError(List.of("range", ENDPOINT, "--consistency", "x"), "use l (linearizable) or s (serializable)");
    assertUsageError(List.of("mixed", ENDPOINT, "--read-ratio", "1.5"), "--read-ratio must be between 0 and 1");
    assertUsageError(List.of("txn-put", ENDPOINT, "--txn-ops", "2"), "--txn-ops must be 1..--key-space-size (1)");
    assertUsageError(List.of("watch-latency", ENDPOINT, "--watchers", "0"), "--watchers must be at least 1");
    assertUsageError(List.of("watch-latency", ENDPOINT, "--key-space-size", "5"), "Unknown options: '--key-space-size'");
    assertUsageError(List.of("lease-keepalive", ENDPOINT, "--val-size", "5"), "Unknown options: '--val-size'");
  }

  private void assertUsageError(List<String> args, String message) {
    err.reset();
    workload = null;
    assertThat(run(args.toArray(String[]::new))).as(args.toString()).isEqualTo(2);
    assertThat(err()).as(args.toString()).contains(message).endsWith("--help')" + System.lineSeparator());
    assertThat(err().lines()).as(args.toString()).hasSize(1);
    assertThat(workload).isNull();
  }

  @Test
  void aFailedRunSaysWhatWentWrongAndExitsOne() {
    int code = BenchCommand.execute(new String[] {"put", ENDPOINT}, print(out), print(err), (t, l, w) -> {
      throw new BenchException("no answer from http://127.0.0.1:2379 within 5s");
    });

    assertThat(code).isEqualTo(1);
    assertThat(err()).isEqualTo("keel bench: no answer from http://127.0.0.1:2379 within 5s" + System.lineSeparator());
  }

  @Test
  void anEndpointWithNothingListeningFailsAtOnceAndSaysSo() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort(); // free, and nothing listens once it is closed
    }
    String endpoint = "http://127.0.0.1:" + port;

    int code = BenchCommand.execute(new String[] {"put", "--endpoints", endpoint, "--dial-timeout", "30s"},
        print(out), print(err));

    assertThat(code).isEqualTo(1);
    assertThat(err()).startsWith("keel bench: cannot connect to " + endpoint + " (Connection refused")
        .contains("is an etcd or Keel member listening there? Check --endpoints");
    assertThat(out.size()).isZero();
  }

  @Test
  void helpListsTheWorkloads() {
    assertThat(run("--help")).isZero();

    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("put", "txn-put", "range", "watch-latency", "lease-keepalive", "mixed", "Exit codes");
  }
}
