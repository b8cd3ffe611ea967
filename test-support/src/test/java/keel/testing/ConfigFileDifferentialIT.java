package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * etcd's {@code --config-file} and unix sockets, on etcd 3.4 and Keel: three members started from
 * YAML files as etcd's sample writes them (names, URLs, the initial cluster, {@code enable-v2},
 * {@code max-txn-ops}), their command lines naming other values that must be ignored (as etcd
 * ignores every flag and environment variable beside the file), form one cluster and serve v3 and
 * v2 the same; the first also serves on a unix socket ({@code unix://name:port}: the file {@code
 * name:port} in the working directory, gone once it stops), through which Debian's {@code
 * etcdctl} prints the same; both log etcd's startup lines in etcd's order; a file with a value of
 * the wrong type is refused alike.
 */
@Timeout(value = 180)
class ConfigFileDifferentialIT {
  private static final Pattern VERIFYING = Pattern.compile("error verifying flags, (.*)\\. See '");

  @Test
  void aClusterStartedFromConfigFilesServesAsEtcds() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = transcript(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("config-file-etcd.txt");
    assertThat(etcd.result("v2 set").stdout()).isEqualTo("1\n");
    EtcdctlTranscript keel = transcript(EtcdctlDifferentialIT.KEEL, p);
    keel.write("config-file-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, ConfigFileDifferentialIT::normalise);
  }

  private static String normalise(String step) {
    return ClientTlsDifferentialIT.normalise(step.replaceAll("unix://uds-[a-z]+:[0-9]+", "<unix>"));
  }

  private static EtcdctlTranscript transcript(Target target, String p) throws IOException {
    Path files = Files.createTempDirectory("keel-config-files-");
    Path socket = null;
    try {
      ClusterProcesses.Builder builder = ClusterProcesses.builder(target.command())
          .clusterName(target.name() + "-cfg-" + p.substring(3, 8))
          // what the command line says is ignored: the file says otherwise
          .extraFlags("--enable-v2=false", "--initial-cluster-token", "not-this-one");
      for (String name : List.of("m1", "m2", "m3")) {
        builder.memberFlags(name, "--config-file", files.resolve(name + ".yaml").toString());
      }
      try (ClusterProcesses cluster = builder.create()) {
        String initialCluster = cluster.members().stream()
            .map(m -> m.name() + "=" + m.address().peerUrl()).collect(Collectors.joining(","));
        String unix = "unix://uds-" + target.name() + ":" + cluster.member(0).address().clientPort();
        socket = Path.of(unix.substring("unix://".length())).toAbsolutePath(); // the working directory's
        for (MemberProcess m : cluster.members()) {
          String listen = (m == cluster.member(0) ? unix + "," : "") + m.address().clientUrl();
          Files.writeString(files.resolve(m.name() + ".yaml"), String.join("\n",
              "# This is the configuration file for the etcd server.",
              "name: '" + m.name() + "'",
              "data-dir: " + m.dataDir(),
              "snapshot-count: 10000",
              "heartbeat-interval: 100",
              "election-timeout: 1000",
              "listen-peer-urls: " + m.address().peerUrl(),
              "listen-client-urls: " + listen,
              "initial-advertise-peer-urls: " + m.address().peerUrl(),
              "advertise-client-urls: " + m.address().clientUrl(),
              "initial-cluster: " + initialCluster,
              "initial-cluster-token: '" + target.name() + "-from-file'",
              "initial-cluster-state: 'new'",
              "enable-v2: true",
              "max-txn-ops: 3",
              "log-outputs: [stderr]",
              "client-transport-security:",
              "  client-cert-auth: false",
              ""));
        }
        cluster.members().forEach(MemberProcess::start);
        cluster.awaitHealthy();
        assertThat(socket).as("%s's unix socket", target.name()).exists();
        // etcd's startup lines, which scripts and health checks wait for, in etcd's order
        MemberProcess m1 = cluster.member(0);
        Deadlines.await(target.name() + " logs its capabilities", Duration.ofSeconds(30))
            .until(() -> Files.readString(m1.logFile()).contains("enabled capabilities for version 3.4"));
        String log = Files.readString(m1.logFile());
        assertThat(log.indexOf("published {Name:m1 ClientURLs:[" + m1.address().clientUrl() + "]} to cluster"))
            .as("%s: published, then ready, then capabilities", target.name()).isPositive()
            .isLessThan(log.indexOf("ready to serve client requests"));
        assertThat(log.indexOf("ready to serve client requests"))
            .isLessThan(log.indexOf("serving insecure client requests on " + unix.substring("unix://".length())))
            .isLessThan(log.indexOf("enabled capabilities for version 3.4"));
        Etcdctl client = Etcdctl.of(cluster.clientEndpoints());
        EtcdctlTranscript t = EtcdctlTranscript.record(client, p, List.of(
            Step.of("put", "put", p + "a", "1"),
            Step.of("get", "get", p + "a"),
            Step.withStdin("a txn over max-txn-ops (3, from the file)", "\nput " + p + "t1 1\nput " + p
                + "t2 2\nput " + p + "t3 3\nput " + p + "t4 4\n\n\n", "txn"),
            Step.of("member list", "member", "list", "-w", "table")));
        t.run(Etcdctl.of(unix),
            Step.of("put through the unix socket", "put", p + "u", "2"),
            Step.of("a range through the unix socket", "get", p, "--prefix"),
            Step.of("endpoint health through the unix socket", "endpoint", "health"));
        Etcdctl v2 = Etcdctl.v2(cluster.members().get(0).address().clientUrl()).noSync();
        t.run(v2, Step.of("v2 set", "set", "/" + p + "v2", "1"), Step.of("v2 get", "get", "/" + p + "v2"));
        Path bad = files.resolve("bad.yaml");
        Files.writeString(bad, "name: m9\nsnapshot-count: \"lots\"\n");
        t.add(Step.of("a file with a string for a number", "<server>", "--config-file", "bad.yaml"),
            refusal(target, files, bad));
        cluster.member(0).stop();
        assertThat(socket).as("%s's unix socket once stopped", target.name()).doesNotExist();
        return t;
      }
    } finally {
      TempDirs.deleteQuietly(files);
      if (socket != null) {
        Files.deleteIfExists(socket);
      }
    }
  }

  /**
   * The server started on {@code file} alone, until it exits: its exit code and what it says after
   * "error verifying flags, " (etcd: "... See 'etcd --help'.", Keel: "... See 'keel server --help'.").
   */
  private static Etcdctl.Result refusal(Target target, Path dir, Path file) throws IOException {
    Path log = dir.resolve("refusal.log");
    List<String> command = new ArrayList<>(target.command());
    command.addAll(List.of("--config-file", file.toString()));
    Process server = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    ProcessTrees.register(server);
    try {
      Deadlines.await(target.name() + " refuses " + file, Duration.ofSeconds(30)).until(() -> !server.isAlive());
      Matcher error = VERIFYING.matcher(Files.readString(log));
      assertThat(error.find()).as("%s says why: %s", target.name(), Files.readString(log)).isTrue();
      return new Etcdctl.Result(List.of("--config-file", "bad.yaml"), server.exitValue(), error.group(1) + "\n", "");
    } finally {
      ProcessTrees.stop(server.toHandle(), Deadlines.scaled(Duration.ofSeconds(10)));
    }
  }
}
