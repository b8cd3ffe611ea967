package keel.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import keel.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcd's {@code --config-file}: the file's settings alone, its errors in etcd's (Go's) words. */
class EtcdConfigFileTest {
  @TempDir
  Path dir;

  private Path file(String yaml) throws IOException {
    Path file = dir.resolve("etcd.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static ServerFlags.Outcome outcome(Map<String, String> env, String... args) {
    return ServerFlags.parse(List.of(args), env);
  }

  private String failure(String yaml) throws IOException {
    Path file = file(yaml);
    CliException e = catchThrowableOfType(CliException.class, () -> outcome(Map.of(), "--config-file", file.toString()));
    assertThat(e.exitCode()).isEqualTo(CliException.INVALID_CONFIG);
    return e.getMessage();
  }

  @Test
  void theFileAloneConfiguresTheMemberAndEveryOtherFlagAndVariableIsIgnored() throws IOException {
    Path file = file("""
        # as etcd's etcd.conf.yml.sample writes it
        name: 'm1'
        data-dir: /var/lib/m1
        snapshot-count: 5000
        heartbeat-interval: 50
        election-timeout: 500
        quota-backend-bytes: 4294967296
        listen-peer-urls: http://127.0.0.1:2480
        listen-client-urls: https://127.0.0.1:2479,http://127.0.0.1:2481
        advertise-client-urls: https://127.0.0.1:2479
        initial-advertise-peer-urls: http://127.0.0.1:2480
        initial-cluster: m1=http://127.0.0.1:2480,m2=http://127.0.0.2:2480
        initial-cluster-token: 'tok'
        initial-cluster-state: 'new'
        enable-v2: true
        auto-compaction-mode: revision
        auto-compaction-retention: "100"
        experimental-watch-progress-notify-interval: 5000000000
        log-outputs: [stderr]
        cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
        unknown-to-etcd: whatever
        client-transport-security:
          cert-file: /c.pem
          key-file: /k.pem
          client-cert-auth: true
          trusted-ca-file: /ca.pem
        peer-transport-security:
          auto-tls: true
        """);
    ServerFlags.Outcome o = outcome(Map.of("ETCD_NAME", "from-env", "ETCD_SNAPSHOT_COUNT", "7"),
        "--config-file", file.toString(), "--enable-v2=false", "--heartbeat-interval", "300");
    ServerConfig c = o.config();
    assertThat(c.name()).isEqualTo("m1");
    assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/m1"));
    assertThat(c.snapshotCount()).isEqualTo(5000);
    assertThat(c.heartbeatMillis()).isEqualTo(50);
    assertThat(c.electionMillis()).isEqualTo(500);
    assertThat(c.quotaBackendBytes()).isEqualTo(4294967296L);
    assertThat(c.listenClientUrls()).containsExactly(URI.create("https://127.0.0.1:2479"),
        URI.create("http://127.0.0.1:2481"));
    assertThat(c.initialCluster()).containsOnlyKeys("m1", "m2");
    assertThat(c.initialClusterToken()).isEqualTo("tok");
    assertThat(c.enableV2()).as("the file's, not the command line's").isTrue();
    assertThat(c.watchProgressNotifyInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.clientTls()).isEqualTo(new ServerConfig.TlsInfo(Path.of("/c.pem"), Path.of("/k.pem"),
        Path.of("/ca.pem"), true, false, null, null, null));
    assertThat(c.peerTls().autoTls()).isTrue();
    assertThat(o.warnings()).anyMatch(w -> w.contains("loading server configuration from \"" + file + "\""))
        .anyMatch(w -> w.contains("--log-outputs") && w.contains("--cipher-suites"));
  }

  @Test
  void anEmptyFileIsEtcdsDefaults() throws IOException {
    Path file = file("# nothing\n");
    assertThat(outcome(Map.of(), "--config-file", file.toString()).config())
        .isEqualTo(outcome(Map.of()).config());
    assertThat(outcome(Map.of("ETCD_CONFIG_FILE", file.toString()), "--name", "ignored").config().name())
        .isEqualTo("default");
  }

  @Test
  void valuesOfTheWrongTypeFailInGosWords() throws IOException {
    String go = "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ";
    assertThat(failure("snapshot-count: \"lots\"\n"))
        .isEqualTo(go + "string into Go struct field configYAML.snapshot-count of type uint64");
    assertThat(failure("snapshot-count: 1.5\n"))
        .isEqualTo(go + "number 1.5 into Go struct field configYAML.snapshot-count of type uint64");
    assertThat(failure("snapshot-count: -3\n"))
        .isEqualTo(go + "number -3 into Go struct field configYAML.snapshot-count of type uint64");
    assertThat(failure("name: 5\n")).isEqualTo(go + "number into Go struct field configYAML.name of type string");
    assertThat(failure("log-outputs: stderr\n"))
        .isEqualTo(go + "string into Go struct field configYAML.log-outputs of type []string");
    assertThat(failure("experimental-watch-progress-notify-interval: 5s\n")).isEqualTo(go
        + "string into Go struct field configYAML.experimental-watch-progress-notify-interval of type time.Duration");
    assertThat(failure("client-transport-security:\n  cert-file: 12\n")).isEqualTo(go
        + "number into Go struct field securityConfig.client-transport-security.cert-file of type string");
    assertThat(failure("- a\n- b\n")).isEqualTo(go + "array into Go value of type embed.configYAML");
    assertThat(failure("name: [a\n")).startsWith("error converting YAML to JSON: yaml: ");
  }

  @Test
  void aMissingFileAndEtcdsOwnChecksAfterIt() throws IOException {
    CliException missing = catchThrowableOfType(CliException.class,
        () -> outcome(Map.of(), "--config-file", dir.resolve("none.yaml").toString()));
    assertThat(missing.getMessage()).isEqualTo("open " + dir.resolve("none.yaml") + ": no such file or directory");
    assertThat(failure("heartbeat-interval: 500\n"))
        .isEqualTo("--election-timeout[1000ms] should be at least as 5 times as --heartbeat-interval[500ms]");
    assertThat(failure("proxy: readonly\n")).startsWith("keel does not support --proxy yet");
  }
}
