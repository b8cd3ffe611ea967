package keel.agent.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files in docker/: compose.yaml parses (Debian's docker-compose 1.29 only parses for {@code
 * config}, no Docker engine involved), entrypoint.sh builds the node's command line from its
 * environment, and the Dockerfile runs that script. Nothing here builds an image or starts a
 * container.
 */
@Timeout(120)
class DockerFilesTest {
  private static final Path DOCKER_COMPOSE = Path.of("/usr/bin/docker-compose");
  private static final String CLUSTER =
      "node1=172.28.0.11,node2=172.28.0.12,node3=172.28.0.13,node4=172.28.0.14,node5=172.28.0.15";

  private static Path root;
  private static Path entrypoint;

  @TempDir Path tmp;

  @BeforeAll
  static void findTheRepository() {
    // Surefire runs in the module's directory (and sets basedir to it); docker/ is beside it.
    Path module = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    root = module.resolve("..").normalize();
    entrypoint = root.resolve("docker/entrypoint.sh");
    assertThat(root.resolve("docker/compose.yaml")).as("docker/ beside the module %s", module).isRegularFile();
  }

  @Test
  void composeFileParses() throws Exception {
    // A must-show of the container issue: a missing docker-compose fails here, it is not a skip.
    assertThat(DOCKER_COMPOSE).as("Debian's docker-compose (.ci/install-test-deps installs it)").isExecutable();

    Result quiet = run(List.of(DOCKER_COMPOSE.toString(), "-f", "docker/compose.yaml", "config", "-q"), Map.of());
    assertThat(quiet.exitCode).as("docker-compose config -q: %s", quiet.stderr).isZero();

    Result services = run(List.of(DOCKER_COMPOSE.toString(), "-f", "docker/compose.yaml", "config", "--services"), Map.of());
    assertThat(services.stdout.strip().lines().sorted()).containsExactly("node1", "node2", "node3", "node4", "node5");

    Result resolved = run(List.of(DOCKER_COMPOSE.toString(), "-f", "docker/compose.yaml", "config"), Map.of());
    assertThat(resolved.exitCode).isZero();
    String config = resolved.stdout;
    for (int n = 1; n <= 5; n++) {
      assertThat(config)
          .contains("KEEL_NAME: node" + n)
          .contains("KEEL_IP: 172.28.0.1" + n)
          .contains("ipv4_address: 172.28.0.1" + n)
          .contains("hostname: node" + n)
          .contains("node" + n + "-data:/var/lib/keel");
    }
    assertThat(config.split("KEEL_CLUSTER: " + CLUSTER, -1)).hasSize(6);
    assertThat(config.split("restart: unless-stopped", -1)).hasSize(6);
    assertThat(config.split("notebooks:/notebooks", -1)).hasSize(6);
    assertThat(config).contains("subnet: 172.28.0.0/24").contains("127.0.0.1:8888:8888");
  }

  @Test
  void entrypointPrintsTheNodesCommand() throws Exception {
    Result result =
        run(
            List.of("bash", entrypoint.toString(), "--print", "--log-level", "debug"),
            Map.of("KEEL_NAME", "node2", "KEEL_IP", "172.28.0.12", "KEEL_CLUSTER", CLUSTER));

    assertThat(result.exitCode).as(result.stderr).isZero();
    assertThat(result.stdout.lines())
        .containsExactly(
            "keel", "agent",
            "--name", "node2",
            "--advertise-ip", "172.28.0.12",
            "--data-dir", "/var/lib/keel/node2",
            "--listen-client-urls", "http://172.28.0.12:2379",
            "--advertise-client-urls", "http://172.28.0.12:2379",
            "--listen-peer-urls", "http://172.28.0.12:2380",
            "--initial-advertise-peer-urls", "http://172.28.0.12:2380",
            "--initial-cluster",
            "node1=http://172.28.0.11:2380,node2=http://172.28.0.12:2380,node3=http://172.28.0.13:2380,"
                + "node4=http://172.28.0.14:2380,node5=http://172.28.0.15:2380",
            "--initial-cluster-state", "new",
            "--initial-cluster-token", "keel",
            "--hosts-file", "/etc/hosts",
            "--authorized-keys", "/root/.ssh/authorized_keys",
            "--ssh-dir", "/root/.ssh",
            "--log-level", "debug");
  }

  @Test
  void entrypointTakesEverySettingFromTheEnvironment() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("KEEL_NAME", "m1");
    env.put("KEEL_IP", "127.0.0.2");
    env.put("KEEL_CLUSTER", "m1=127.0.0.2, m2=127.0.0.3");
    env.put("KEEL_DATA_DIR", "/tmp/demo/m1 data");
    env.put("KEEL_CLIENT_PORT", "12379");
    env.put("KEEL_PEER_PORT", "12380");
    env.put("KEEL_HOSTS_FILE", "/tmp/demo/m1/hosts");
    env.put("KEEL_AUTHORIZED_KEYS", "/tmp/demo/m1/ssh/authorized_keys");
    env.put("KEEL_SSH_DIR", "/tmp/demo/m1/ssh");
    env.put("KEEL_CLUSTER_TOKEN", "demo");
    env.put("KEEL_CLUSTER_STATE", "existing");
    env.put("KEEL_BIN", "/repo/keel");

    Result result = run(List.of("bash", entrypoint.toString(), "--print"), env);

    assertThat(result.exitCode).as(result.stderr).isZero();
    assertThat(result.stdout.lines())
        .containsExactly(
            "/repo/keel", "agent",
            "--name", "m1",
            "--advertise-ip", "127.0.0.2",
            "--data-dir", "/tmp/demo/m1 data",
            "--listen-client-urls", "http://127.0.0.2:12379",
            "--advertise-client-urls", "http://127.0.0.2:12379",
            "--listen-peer-urls", "http://127.0.0.2:12380",
            "--initial-advertise-peer-urls", "http://127.0.0.2:12380",
            "--initial-cluster", "m1=http://127.0.0.2:12380,m2=http://127.0.0.3:12380",
            "--initial-cluster-state", "existing",
            "--initial-cluster-token", "demo",
            "--hosts-file", "/tmp/demo/m1/hosts",
            "--authorized-keys", "/tmp/demo/m1/ssh/authorized_keys",
            "--ssh-dir", "/tmp/demo/m1/ssh");
  }

  @Test
  void entrypointExecsTheLauncherWithTheArguments() throws Exception {
    Path launcher = tmp.resolve("fake-keel");
    Path argsFile = tmp.resolve("args");
    Files.writeString(launcher, "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + argsFile + "'\necho \"pid $$\"\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));

    Result result =
        run(
            List.of("bash", entrypoint.toString(), "--extra", "two words"),
            Map.of("KEEL_NAME", "node1", "KEEL_IP", "172.28.0.11", "KEEL_CLUSTER", CLUSTER,
                "KEEL_BIN", launcher.toString(), "KEEL_START_SSHD", "0"));

    assertThat(result.exitCode).as(result.stderr).isZero();
    List<String> args = Files.readAllLines(argsFile, UTF_8);
    assertThat(args).startsWith("agent", "--name", "node1").endsWith("--ssh-dir", "/root/.ssh", "--extra", "two words");
    // exec: the launcher replaced the script's shell, so it has the pid the script was started with.
    assertThat(result.stdout.strip()).isEqualTo("pid " + result.pid);
  }

  @Test
  void entrypointSaysWhatIsMissingAndExits2() throws Exception {
    Result noName =
        run(List.of("bash", entrypoint.toString(), "--print"), Map.of("KEEL_IP", "172.28.0.11", "KEEL_CLUSTER", CLUSTER));
    assertThat(noName.exitCode).isEqualTo(2);
    assertThat(noName.stdout).isEmpty();
    assertThat(noName.stderr)
        .startsWith("keel entrypoint: required environment not set: KEEL_NAME.")
        .contains("Set KEEL_NAME (this node's name)");

    Result nothing = run(List.of("bash", entrypoint.toString(), "--print"), Map.of());
    assertThat(nothing.exitCode).isEqualTo(2);
    assertThat(nothing.stderr).contains("required environment not set: KEEL_NAME KEEL_IP KEEL_CLUSTER.");
  }

  @Test
  void entrypointRefusesAnInconsistentCluster() throws Exception {
    assertThat(
            run(List.of("bash", entrypoint.toString(), "--print"),
                Map.of("KEEL_NAME", "node9", "KEEL_IP", "172.28.0.19", "KEEL_CLUSTER", CLUSTER)))
        .satisfies(r -> assertThat(r.exitCode).isEqualTo(2))
        .satisfies(r -> assertThat(r.stderr).contains("KEEL_NAME=node9 is not in KEEL_CLUSTER="));
    assertThat(
            run(List.of("bash", entrypoint.toString(), "--print"),
                Map.of("KEEL_NAME", "node1", "KEEL_IP", "172.28.0.99", "KEEL_CLUSTER", CLUSTER)))
        .satisfies(r -> assertThat(r.exitCode).isEqualTo(2))
        .satisfies(r -> assertThat(r.stderr).contains("gives node1 the address 172.28.0.11 but KEEL_IP=172.28.0.99"));
    assertThat(
            run(List.of("bash", entrypoint.toString(), "--print"),
                Map.of("KEEL_NAME", "node1", "KEEL_IP", "172.28.0.11", "KEEL_CLUSTER", "node1=172.28.0.11,node2")))
        .satisfies(r -> assertThat(r.exitCode).isEqualTo(2))
        .satisfies(r -> assertThat(r.stderr).contains("KEEL_CLUSTER entry 'node2' is not name=ip"));
    assertThat(
            run(List.of("bash", entrypoint.toString(), "--print"),
                Map.of("KEEL_NAME", "node1", "KEEL_IP", "172.28.0.11", "KEEL_CLUSTER", CLUSTER, "KEEL_PEER_PORT", "70000")))
        .satisfies(r -> assertThat(r.exitCode).isEqualTo(2))
        .satisfies(r -> assertThat(r.stderr).contains("KEEL_PEER_PORT=70000 is not a port number"));
  }

  @Test
  void dockerfileRunsTheEntrypoint() throws IOException {
    List<String> lines = Files.readAllLines(root.resolve("docker/Dockerfile"), UTF_8);

    assertThat(lines).contains("ENTRYPOINT [\"/opt/keel/entrypoint.sh\"]");
    assertThat(lines).contains("COPY docker/entrypoint.sh /opt/keel/entrypoint.sh");
    assertThat(lines).contains("ENV KEEL_START_SSHD=1", "EXPOSE 2379 2380 8888 22");
    assertThat(lines).filteredOn(l -> l.startsWith("FROM "))
        .containsExactly("FROM maven:3-eclipse-temurin-17 AS build", "FROM debian:bookworm-slim");
    assertThat(String.join("\n", lines))
        .contains("openjdk-17-jre-headless jupyter-notebook openssh-server iproute2")
        .contains("exec java @/opt/keel/jvm.options ${KEEL_HEAP_SIZE:+-Xmx$KEEL_HEAP_SIZE} $KEEL_JAVA_OPTS"
            + " -jar /opt/keel/keel.jar");
    assertThat(lines).as("the image's JVM options are the launcher's file")
        .contains("COPY container-agent/jvm.options /opt/keel/jvm.options");
    assertThat(Files.readString(root.resolve("keel"), UTF_8)).contains("@\"$ROOT/container-agent/jvm.options\"");
    assertThat(entrypoint).as("COPY keeps the mode: the script must be executable").isExecutable();
  }

  private record Result(int exitCode, String stdout, String stderr, long pid) {}

  /** Runs a command in the repository root with only PATH and {@code env} in its environment. */
  private Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder builder =
        new ProcessBuilder(new ArrayList<>(command))
            .directory(root.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().clear();
    builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
    builder.environment().put("HOME", tmp.toString());
    builder.environment().putAll(env);
    Process process = builder.start();
    try {
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
      return new Result(process.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8), process.pid());
    } finally {
      process.destroyForcibly();
    }
  }
}
