package keel.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import keel.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ServerFlagsTest {
  private static final URI PEER = URI.create("http://127.0.0.1:2480");
  private static final URI PEER2 = URI.create("http://127.0.0.2:2480");
  private static final URI CLIENT = URI.create("http://127.0.0.1:2479");

  private static ServerFlags.Outcome outcome(Map<String, String> env, String... args) {
    return ServerFlags.parse(List.of(args), env);
  }

  private static ServerConfig parse(String... args) {
    return outcome(Map.of(), args).config();
  }

  private static CliException failure(Map<String, String> env, String... args) {
    return catchThrowableOfType(CliException.class, () -> outcome(env, args));
  }

  @Test
  void defaultsAreEtcds() {
    ServerFlags.Outcome o = outcome(Map.of());
    assertThat(o.action()).isEqualTo(ServerFlags.Action.RUN);
    assertThat(o.warnings()).isEmpty();
    ServerConfig c = o.config();
    assertThat(c.name()).isEqualTo("default");
    assertThat(c.dataDir()).isEqualTo(Path.of("default.keel"));
    assertThat(c.listenClientUrls()).containsExactly(URI.create("http://localhost:2379"));
    assertThat(c.advertiseClientUrls()).containsExactly(URI.create("http://localhost:2379"));
    assertThat(c.listenPeerUrls()).containsExactly(URI.create("http://localhost:2380"));
    assertThat(c.initialAdvertisePeerUrls()).containsExactly(URI.create("http://localhost:2380"));
    assertThat(c.initialCluster())
        .containsExactly(Map.entry("default", List.of(URI.create("http://localhost:2380"))));
    assertThat(c.initialClusterToken()).isEqualTo("etcd-cluster");
    assertThat(c.initialClusterState()).isEqualTo(ServerConfig.ClusterState.NEW);
    assertThat(c.heartbeatMillis()).isEqualTo(100);
    assertThat(c.electionMillis()).isEqualTo(1000);
    assertThat(c.snapshotCount()).isEqualTo(100_000);
    assertThat(c.maxRequestBytes()).isEqualTo(1_572_864);
    assertThat(c.maxTxnOps()).isEqualTo(128);
    assertThat(c.quotaBackendBytes()).isEqualTo(2L * 1024 * 1024 * 1024);
  }

  @Test
  void nameAloneDerivesDataDirAndInitialCluster() {
    ServerConfig c = parse("--name", "n1");
    assertThat(c.dataDir()).isEqualTo(Path.of("n1.keel"));
    assertThat(c.initialCluster())
        .containsExactly(Map.entry("n1", List.of(URI.create("http://localhost:2380"))));
  }

  @Test
  void defaultInitialClusterGivenExplicitlyStillFollowsTheName() {
    // etcd compares the string with its default (UpdateDefaultClusterFromName).
    ServerConfig c = parse("--name", "n1", "--initial-cluster", "default=http://localhost:2380");
    assertThat(c.initialCluster()).containsOnlyKeys("n1");
  }

  /** One row per flag Keel uses: value on the command line and what it becomes. */
  static Stream<Arguments> usedFlags() {
    return Stream.of(
        row("name", "n1", c -> c.name(), "n1", "--initial-cluster", "n1=http://localhost:2380"),
        row("data-dir", "/var/lib/keel", c -> c.dataDir(), Path.of("/var/lib/keel")),
        row("listen-client-urls", "http://127.0.0.1:2479,http://[::1]:2479",
            c -> c.listenClientUrls(), List.of(CLIENT, URI.create("http://[::1]:2479")),
            "--advertise-client-urls", "http://127.0.0.1:2479"),
        row("advertise-client-urls", "http://node1:2479", c -> c.advertiseClientUrls(),
            List.of(URI.create("http://node1:2479"))),
        row("listen-peer-urls", "http://0.0.0.0:2480", c -> c.listenPeerUrls(),
            List.of(URI.create("http://0.0.0.0:2480"))),
        row("initial-advertise-peer-urls", "http://127.0.0.1:2480",
            c -> c.initialAdvertisePeerUrls(), List.of(PEER)),
        row("initial-cluster", "default=http://127.0.0.1:2480,b=http://127.0.0.2:2480",
            c -> c.initialCluster(), Map.of("default", List.of(PEER), "b", List.of(PEER2))),
        row("initial-cluster-token", "tok", c -> c.initialClusterToken(), "tok"),
        row("initial-cluster-state", "existing", c -> c.initialClusterState(),
            ServerConfig.ClusterState.EXISTING),
        row("heartbeat-interval", "50", c -> c.heartbeatMillis(), 50L),
        row("election-timeout", "2500", c -> c.electionMillis(), 2500L),
        row("snapshot-count", "42", c -> c.snapshotCount(), 42L),
        row("max-request-bytes", "10485760", c -> c.maxRequestBytes(), 10_485_760L),
        row("max-txn-ops", "1024", c -> c.maxTxnOps(), 1024),
        row("quota-backend-bytes", "8589934592", c -> c.quotaBackendBytes(), 8_589_934_592L));
  }

  private static Arguments row(String flag, String value, Function<ServerConfig, Object> field,
      Object expected, String... extra) {
    return Arguments.of(flag, value, field, expected, extra);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usedFlags")
  void everyFlagInEverySpelling(String flag, String value, Function<ServerConfig, Object> field,
      Object expected, String[] extra) {
    List<List<String>> spellings = List.of(
        List.of("--" + flag, value), List.of("--" + flag + "=" + value),
        List.of("-" + flag, value), List.of("-" + flag + "=" + value));
    for (List<String> spelling : spellings) {
      String[] args = Stream.concat(spelling.stream(), Arrays.stream(extra)).toArray(String[]::new);
      assertThat(field.apply(parse(args))).as(String.join(" ", args)).isEqualTo(expected);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usedFlags")
  void everyFlagFromTheEnvironment(String flag, String value,
      Function<ServerConfig, Object> field, Object expected, String[] extra) {
    String key = "ETCD_" + flag.toUpperCase().replace('-', '_');
    ServerFlags.Outcome o = outcome(Map.of(key, value), extra);
    assertThat(field.apply(o.config())).as(key).isEqualTo(expected);
    assertThat(o.warnings()).isEmpty();
  }

  @Test
  void environmentVariableNamesAreEtcds() {
    assertThat(ServerFlags.BY_NAME.get("initial-cluster").envName()).isEqualTo("ETCD_INITIAL_CLUSTER");
    assertThat(ServerFlags.BY_NAME.get("data-dir").envName()).isEqualTo("ETCD_DATA_DIR");
  }

  @Test
  void commandLineWinsOverEnvironmentWithAWarning() {
    ServerFlags.Outcome o = outcome(Map.of("ETCD_NAME", "from-env", "ETCD_SNAPSHOT_COUNT", "7"),
        "--name=from-flag");
    assertThat(o.config().name()).isEqualTo("from-flag");
    assertThat(o.config().snapshotCount()).isEqualTo(7);
    assertThat(o.warnings()).containsExactly("keel: conflicting environment variable \"ETCD_NAME\""
        + " is shadowed by corresponding command-line flag (either unset environment variable or"
        + " disable flag)");
  }

  @Test
  void emptyEnvironmentValueIsUnset() {
    assertThat(outcome(Map.of("ETCD_NAME", "")).config().name()).isEqualTo("default");
  }

  @Test
  void unknownEtcdVariablesAreNamedWithoutTheirValue() {
    ServerFlags.Outcome o = outcome(Map.of("ETCD_NOPE", "secret", "ETCD_VERSION", "3.4.0",
        "ETCDCTL_API", "3", "HOME", "/root"));
    assertThat(o.warnings()).containsExactly("keel: unrecognized environment variable ETCD_NOPE");
  }

  @Test
  void badEnvironmentValueNamesTheVariableAndExits1() {
    CliException e = failure(Map.of("ETCD_HEARTBEAT_INTERVAL", "fast"));
    assertThat(e.exitCode()).isEqualTo(1);
    assertThat(e).hasMessage("invalid value \"fast\" for ETCD_HEARTBEAT_INTERVAL: parse error");
    assertThat(failure(Map.of("ETCD_INITIAL_CLUSTER_STATE", "old")))
        .hasMessage("invalid value \"old\" for ETCD_INITIAL_CLUSTER_STATE: invalid value");
  }

  @Test
  void initialClusterWithRepeatedNamesKeepsAllUrlsInOrder() {
    ServerConfig c = parse("--name", "b", "--initial-cluster",
        "a=http://127.0.0.1:2480,b=http://127.0.0.2:2480,a=http://10.0.0.1:2480,c=https://h3:2480",
        "--initial-advertise-peer-urls", "http://127.0.0.2:2480");
    assertThat(c.initialCluster().keySet()).containsExactly("a", "b", "c");
    assertThat(c.initialCluster().get("a"))
        .containsExactly(PEER, URI.create("http://10.0.0.1:2480"));
    assertThat(c.peerUrls()).containsExactly(PEER2);
  }

  @Test
  void initialClusterWithoutTheLocalNameIsRefused() {
    CliException e = failure(Map.of(), "--name", "z", "--initial-cluster", "a=http://127.0.0.1:2480");
    assertThat(e.exitCode()).isEqualTo(1);
    assertThat(e).hasMessage("couldn't find local name \"z\" in the initial cluster configuration");
  }

  @Test
  void badInitialClusterUrlUsesEtcdsWords() {
    assertThat(failure(Map.of(), "--initial-cluster", "default=127.0.0.1:2480"))
        .hasMessage("parse \"127.0.0.1:2480\": first path segment in URL cannot contain colon");
    assertThat(failure(Map.of(), "--initial-cluster", "default=localhost:2480"))
        .hasMessage("URL scheme must be http, https, unix, or unixs: localhost:2480");
    assertThat(failure(Map.of(), "--initial-cluster", "default"))
        .hasMessage("URL scheme must be http, https, unix, or unixs: ");
  }

  @Test
  void badUrlsUseEtcdsWords() {
    assertThat(failure(Map.of(), "--initial-advertise-peer-urls", "ftp://h:1"))
        .hasMessage("invalid value \"ftp://h:1\" for flag -initial-advertise-peer-urls:"
            + " URL scheme must be http, https, unix, or unixs: ftp://h:1")
        .extracting(CliException::exitCode).isEqualTo(2);
    assertThat(failure(Map.of(), "--initial-advertise-peer-urls", "http://h"))
        .hasMessageEndingWith("URL address does not have the form \"host:port\": http://h");
    assertThat(failure(Map.of(), "--listen-peer-urls", "http://h:1/"))
        .hasMessageEndingWith("URL must not contain a path: http://h:1/");
  }

  @Test
  void listenUrlsMustBeIpAddressesOrLocalhost() {
    assertThat(failure(Map.of(), "--listen-peer-urls", "http://node1:2480"))
        .hasMessage("expected IP in URL for binding (http://node1:2480)")
        .extracting(CliException::exitCode).isEqualTo(1);
  }

  @Test
  void advertisedUrlsNeedAHost() {
    assertThat(failure(Map.of(), "--initial-advertise-peer-urls", "http://:2480"))
        .hasMessage("--initial-advertise-peer-urls \"http://:2480\" must be \"host:port\""
            + " (unexpected empty host (http://:2480))");
  }

  @Test
  void listenClientUrlsNeedAdvertiseClientUrls() {
    assertThat(failure(Map.of("ETCD_LISTEN_CLIENT_URLS", "http://0.0.0.0:2379")))
        .hasMessage("--advertise-client-urls is required when --listen-client-urls is set explicitly");
  }

  @Test
  void timingRulesAreEtcds() {
    assertThat(failure(Map.of(), "--heartbeat-interval", "300"))
        .hasMessage("--election-timeout[1000ms] should be at least as 5 times as"
            + " --heartbeat-interval[300ms]");
    assertThat(failure(Map.of(), "--heartbeat-interval", "0"))
        .hasMessage("--heartbeat-interval must be >0 (set to 0ms)");
    assertThat(failure(Map.of(), "--election-timeout", "60000"))
        .hasMessage("--election-timeout[60000ms] is too long, and should be set less than 50000ms");
    assertThat(failure(Map.of(), "--heartbeat-interval", "-1"))
        .hasMessage("invalid value \"-1\" for flag -heartbeat-interval: parse error");
  }

  @Test
  void numbersReadAsGoReadsThem() {
    assertThat(parse("--snapshot-count", "0x10").snapshotCount()).isEqualTo(16);
    assertThat(failure(Map.of(), "--max-txn-ops", "99999999999"))
        .hasMessage("invalid value \"99999999999\" for flag -max-txn-ops: value out of range");
    assertThat(failure(Map.of(), "--snapshot-count", "18446744073709551616"))
        .hasMessage("invalid value \"18446744073709551616\" for flag -snapshot-count: value out of range");
  }

  @Test
  void autoCompactionFlagsAreReadAsEtcdReadsThem() {
    assertThat(parse().autoCompaction().enabled()).isFalse();
    assertThat(parse("--auto-compaction-retention=1").autoCompaction().period()).isEqualTo(java.time.Duration.ofHours(1));
    assertThat(outcome(Map.of("ETCD_AUTO_COMPACTION_MODE", "revision", "ETCD_AUTO_COMPACTION_RETENTION", "1000"))
        .config().autoCompaction().revisions()).isEqualTo(1000);
    assertThat(failure(Map.of(), "--auto-compaction-retention=1y"))
        .hasMessageContaining("error parsing CompactionRetention: time: unknown unit \"y\" in duration \"1y\"");
  }

  @Test
  void metricsUrlsAreExtraListeners() {
    assertThat(parse().listenMetricsUrls()).isEmpty();
    assertThat(parse("--listen-metrics-urls", "http://127.0.0.1:2381,http://127.0.0.2:2381").listenMetricsUrls())
        .containsExactly(java.net.URI.create("http://127.0.0.1:2381"), java.net.URI.create("http://127.0.0.2:2381"));
  }

  @Test
  void watchProgressNotifyIntervalIsAGoDuration() {
    assertThat(parse().watchProgressNotifyInterval()).isEqualTo(java.time.Duration.ofMinutes(10));
    assertThat(parse("--experimental-watch-progress-notify-interval=5s").watchProgressNotifyInterval())
        .isEqualTo(java.time.Duration.ofSeconds(5));
  }

  @Test
  void lastOccurrenceWins() {
    assertThat(parse("--name", "a", "--name", "b").name()).isEqualTo("b");
  }

  @Test
  void ignoredFlagsAreNamedInOneWarningAndDoNotChangeTheConfig() {
    ServerFlags.Outcome o = outcome(Map.of("ETCD_ENABLE_PPROF", "true"),
        "--pre-vote", "--logger", "zap", "--log-outputs=stderr",
        "--grpc-keepalive-min-time=5s", "--experimental-initial-corrupt-check",
        "--discovery=", "--proxy=off", "--debug", "--max-wals", "5", "-v");
    assertThat(o.warnings()).containsExactly("keel: ignoring etcd flags not supported yet:"
        + " --pre-vote, --logger, --log-outputs,"
        + " --grpc-keepalive-min-time, --experimental-initial-corrupt-check, --discovery,"
        + " --proxy, --debug, --max-wals, --v, --enable-pprof");
    assertThat(o.config()).isEqualTo(parse());
  }

  @Test
  void clientTlsFlagsAreReadAndAnHttpsUrlNeedsACertificateAsOnEtcd() {
    ServerConfig c = parse("--cert-file", "/c.pem", "--key-file=/k.pem", "--trusted-ca-file", "/ca.pem",
        "--listen-client-urls", "https://127.0.0.1:2379", "--advertise-client-urls", "https://127.0.0.1:2379");
    assertThat(c.clientTls()).isEqualTo(new ServerConfig.TlsInfo(Path.of("/c.pem"), Path.of("/k.pem"),
        Path.of("/ca.pem"), false, false, null, null, null));
    assertThat(parse("--client-cert-allowed-hostname", "client.example").clientTls().allowedHostname())
        .isEqualTo("client.example");
    assertThat(c.clientTls().requiresClientCertificate()).as("a trusted CA file alone, as etcd").isTrue();
    assertThat(outcome(Map.of("ETCD_CLIENT_CERT_AUTH", "true")).config().clientTls().clientCertAuth()).isTrue();
    assertThat(parse().clientTls().isEmpty()).isTrue();
    assertThat(parse("--auto-tls", "--listen-client-urls", "https://127.0.0.1:2379", "--advertise-client-urls",
        "https://127.0.0.1:2379").clientTls().autoTls()).as("auto TLS stands for the files").isTrue();
    assertThat(failure(Map.of(), "--listen-client-urls", "https://127.0.0.1:2379", "--advertise-client-urls",
        "https://127.0.0.1:2379")).hasMessage("TLS key/cert (--cert-file, --key-file) must be provided for client"
            + " url https://127.0.0.1:2379 with HTTPS scheme");
  }

  @Test
  void peerTlsFlagsAreReadAndAnHttpsPeerUrlNeedsACertificateAsOnEtcd() {
    String peer = "https://127.0.0.1:2380";
    ServerConfig c = parse("--peer-cert-file", "/p.pem", "--peer-key-file=/pk.pem", "--peer-trusted-ca-file",
        "/pca.pem", "--peer-client-cert-auth", "--peer-crl-file", "/crl.pem", "--peer-cert-allowed-cn", "m1",
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer);
    assertThat(c.peerTls()).isEqualTo(new ServerConfig.TlsInfo(Path.of("/p.pem"), Path.of("/pk.pem"),
        Path.of("/pca.pem"), true, false, Path.of("/crl.pem"), "m1", null));
    assertThat(c.clientTls()).isEqualTo(ServerConfig.TlsInfo.NONE);
    assertThat(outcome(Map.of("ETCD_PEER_AUTO_TLS", "true", "ETCD_PEER_CERT_ALLOWED_HOSTNAME", "m1.example"))
        .config().peerTls()).isEqualTo(new ServerConfig.TlsInfo(null, null, null, false, true, null, null,
            "m1.example"));
    assertThat(parse("--peer-auto-tls", "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer)
        .peerTls().selfSigned()).as("auto TLS stands for the files").isTrue();
    assertThat(failure(Map.of(), "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer))
        .hasMessage("cannot listen on TLS for 127.0.0.1:2380: KeyFile and CertFile are not presented");
    assertThat(failure(Map.of(), "--peer-cert-file", "/p.pem", "--peer-key-file=/pk.pem",
        "--peer-cert-allowed-cn", "m1", "--peer-cert-allowed-hostname", "m1.example"))
        .hasMessage("AllowedCN and AllowedHostname are mutually exclusive (cn=\"m1\", hostname=\"m1.example\")");
  }

  @Test
  void unixSocketClientUrlsAreTakenAndUnixPeerUrlsRefused() {
    assertThat(parse("--listen-client-urls", "unix://localhost:2379,http://127.0.0.1:2379",
        "--advertise-client-urls", "unix://localhost:2379").listenClientUrls())
        .containsExactly(URI.create("unix://localhost:2379"), URI.create("http://127.0.0.1:2379"));
    assertThat(failure(Map.of(), "--listen-peer-urls", "unix://localhost:2380",
        "--initial-advertise-peer-urls", "unix://localhost:2380"))
        .hasMessage("keel does not support unix socket peer URLs yet (unix://localhost:2380): members reach each"
            + " other over TCP");
    assertThat(failure(Map.of(), "--listen-client-urls", "unixs://localhost:2379", "--advertise-client-urls",
        "unixs://localhost:2379")).hasMessage("TLS key/cert (--cert-file, --key-file) must be provided for client"
            + " url unixs://localhost:2379 with HTTPS scheme");
  }

  @Test
  void forceNewClusterIsOffByDefaultAndReadFromFlagOrEnvironment() {
    assertThat(parse().forceNewCluster()).isFalse();
    assertThat(parse("--force-new-cluster").forceNewCluster()).isTrue();
    assertThat(parse("--force-new-cluster=false").forceNewCluster()).isFalse();
    assertThat(outcome(Map.of("ETCD_FORCE_NEW_CLUSTER", "true")).config().forceNewCluster()).isTrue();
  }

  @Test
  void enableV2IsOffByDefaultAsInEtcd34() {
    assertThat(parse().enableV2()).isFalse();
    assertThat(parse("--enable-v2").enableV2()).isTrue();
    assertThat(parse("--enable-v2=false").enableV2()).isFalse();
    assertThat(outcome(Map.of("ETCD_ENABLE_V2", "true")).config().enableV2()).isTrue();
  }

  @Test
  void booleanFlagsTakeNoSeparateValue() {
    // Go: "-enable-v2 false" sets enable-v2 and leaves "false" as an argument.
    assertThat(failure(Map.of(), "--enable-v2", "false"))
        .hasMessage("'false' is not a valid flag");
    assertThat(failure(Map.of(), "--enable-v2=maybe"))
        .hasMessage("invalid boolean value \"maybe\" for -enable-v2: parse error");
  }

  @Test
  void ignoredFlagValuesAreStillCheckedLikeEtcd() {
    assertThat(failure(Map.of(), "--grpc-keepalive-timeout", "soon"))
        .hasMessage("invalid value \"soon\" for flag -grpc-keepalive-timeout: parse error");
  }

  @Test
  void settingsKeelCannotHonourAreRefused() {
    assertThat(failure(Map.of(), "--discovery-srv", "example.com"))
        .hasMessageStartingWith("keel does not support --discovery-srv yet")
        .extracting(CliException::exitCode).isEqualTo(1);
    assertThat(failure(Map.of(), "--proxy", "on"))
        .hasMessageStartingWith("keel does not support --proxy yet");
  }

  @Test
  void helpAndVersionAreActions() {
    assertThat(outcome(Map.of(), "--help").action()).isEqualTo(ServerFlags.Action.HELP);
    assertThat(outcome(Map.of(), "-name", "x", "-h", "--bogus").action())
        .isEqualTo(ServerFlags.Action.HELP);
    assertThat(outcome(Map.of(), "--version").action()).isEqualTo(ServerFlags.Action.VERSION);
    assertThat(outcome(Map.of(), "--version=false").action()).isEqualTo(ServerFlags.Action.RUN);
  }

  @Test
  void badFlagSyntaxIsGos() {
    assertThat(failure(Map.of(), "---name", "x")).hasMessage("bad flag syntax: ---name");
    assertThat(failure(Map.of(), "-=x")).hasMessage("bad flag syntax: -=x");
  }

  @Test
  void everyEtcdFlagIsKnownExactlyOnce() {
    assertThat(ServerFlags.FLAGS).extracting(EtcdFlag::name).doesNotHaveDuplicates()
        .contains("name", "data-dir", "listen-client-urls", "advertise-client-urls",
            "listen-peer-urls", "initial-advertise-peer-urls", "initial-cluster",
            "initial-cluster-token", "initial-cluster-state", "heartbeat-interval",
            "election-timeout", "snapshot-count", "max-request-bytes", "max-txn-ops",
            "quota-backend-bytes");
    assertThat(ServerFlags.help()).contains("--data-dir '${name}.keel'");
  }
}
