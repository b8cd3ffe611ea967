package keel.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import keel.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KeelMainTest {
  private final List<ServerConfig> started = new ArrayList<>();
  private final List<AutoCloseable> awaited = new ArrayList<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(Map<String, String> env, String... args) {
    AutoCloseable server = () -> { };
    ServerCommand command = new ServerCommand(config -> {
      started.add(config);
      return server;
    }, env, awaited::add);
    CommandLine keel = KeelMain.commandLine(command);
    keel.setOut(new PrintWriter(out, true));
    keel.setErr(new PrintWriter(err, true));
    return keel.execute(args);
  }

  private int run(String... args) {
    return run(Map.of(), args);
  }

  private List<String> errLines() {
    return err.toString().lines().toList();
  }

  @Test
  void serverStartsWithParsedConfigAndWaitsForTermination() {
    assertThat(run("server", "-name", "n1", "--initial-advertise-peer-urls=http://127.0.0.1:2480",
        "--listen-peer-urls", "http://127.0.0.1:2480")).isZero();
    assertThat(started).singleElement().satisfies(c -> {
      assertThat(c.name()).isEqualTo("n1");
      assertThat(c.initialCluster()).containsExactly(
          Map.entry("n1", List.of(URI.create("http://127.0.0.1:2480"))));
    });
    assertThat(awaited).hasSize(1);
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void unknownFlagIsRefusedWithGoTextAndExitCode2() {
    assertThat(run("server", "--foo", "bar")).isEqualTo(2);
    assertThat(errLines().get(0)).isEqualTo("flag provided but not defined: -foo");
    assertThat(started).isEmpty();
  }

  @Test
  void unknownSingleDashFlagWithValueIsNamedWithoutItsValue() {
    assertThat(run("server", "-foo=1")).isEqualTo(2);
    assertThat(errLines().get(0)).isEqualTo("flag provided but not defined: -foo");
  }

  @Test
  void missingValueIsRefused() {
    assertThat(run("server", "--name")).isEqualTo(2);
    assertThat(errLines().get(0)).isEqualTo("flag needs an argument: -name");
  }

  @Test
  void badNumberIsRefusedOnTheCommandLineWithExitCode2() {
    assertThat(run("server", "--heartbeat-interval=abc")).isEqualTo(2);
    assertThat(errLines().get(0))
        .isEqualTo("invalid value \"abc\" for flag -heartbeat-interval: parse error");
  }

  @Test
  void badClusterStateUsesEtcdsWords() {
    assertThat(run("server", "--initial-cluster-state", "old")).isEqualTo(2);
    assertThat(errLines().get(0))
        .isEqualTo("invalid value \"old\" for flag -initial-cluster-state: invalid value");
  }

  @Test
  void badUrlUsesEtcdsWords() {
    assertThat(run("server", "--listen-client-urls", "http://127.0.0.1:2379/v2",
        "--advertise-client-urls", "http://127.0.0.1:2379")).isEqualTo(2);
    assertThat(errLines().get(0)).isEqualTo("invalid value \"http://127.0.0.1:2379/v2\" for flag"
        + " -listen-client-urls: URL must not contain a path: http://127.0.0.1:2379/v2");
  }

  @Test
  void verificationErrorsExitWith1LikeEtcd() {
    assertThat(run("server", "--listen-client-urls", "http://127.0.0.1:2379")).isEqualTo(1);
    assertThat(errLines().get(0)).isEqualTo("keel: error verifying flags, --advertise-client-urls"
        + " is required when --listen-client-urls is set explicitly. See 'keel server --help'.");
    assertThat(started).isEmpty();
  }

  @Test
  void positionalArgumentIsNotAValidFlag() {
    assertThat(run("server", "--name", "a", "extra")).isEqualTo(1);
    assertThat(errLines().get(0)).contains("'extra' is not a valid flag");
  }

  @Test
  void doubleDashEndsTheFlagsAsInGo() {
    assertThat(run("server", "--", "--name", "a")).isEqualTo(1);
    assertThat(errLines().get(0)).contains("'--name' is not a valid flag");
  }

  @Test
  void ignoredFlagsGiveOneWarningLineAndStillStart() {
    assertThat(run(Map.of("ETCD_LOG_LEVEL", "debug"), "server", "--max-snapshots",
        "3", "--pre-vote", "--name", "n1", "-logger=zap")).isZero();
    assertThat(errLines()).containsExactly("keel: ignoring etcd flags not supported yet:"
        + " --max-snapshots, --pre-vote, --logger, --log-level");
    assertThat(started).singleElement().extracting(ServerConfig::name).isEqualTo("n1");
  }

  @Test
  void serverHelpPrintsUsageAndExits0() {
    assertThat(run("server", "--help")).isZero();
    assertThat(out.toString()).contains("--initial-cluster", "--quota-backend-bytes",
        "--auto-compaction-retention");
    assertThat(started).isEmpty();
    out.getBuffer().setLength(0);
    assertThat(run("server", "-h")).isZero();
    assertThat(out.toString()).contains("--initial-cluster-token 'etcd-cluster'");
  }

  @Test
  void versionPrintsAVersionLine() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("keel Version: ").contains("etcd API Version: 3.4");
    out.getBuffer().setLength(0);
    assertThat(run("server", "--version")).isZero();
    assertThat(out.toString()).startsWith("keel Version: ");
    assertThat(started).isEmpty();
  }

  @Test
  void topLevelHelpListsServer() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("server");
  }

  @Test
  void keelAloneAsksForASubcommand() {
    assertThat(run()).isEqualTo(2);
    assertThat(err.toString()).contains("missing subcommand");
  }

  @Test
  void atFilesAreNotExpanded() {
    assertThat(run("server", "@/nonexistent")).isEqualTo(1);
    assertThat(errLines().get(0)).contains("'@/nonexistent' is not a valid flag");
  }

  @Test
  void launcherFailureExits1WithItsMessage() {
    ServerCommand command = new ServerCommand(
        c -> { throw new java.io.IOException("peer port 2380 is in use"); }, Map.of(), s -> { });
    CommandLine keel = KeelMain.commandLine(command);
    keel.setErr(new PrintWriter(err, true));
    assertThat(keel.execute("server")).isEqualTo(1);
    assertThat(errLines()).containsExactly("keel: failed to start the server: peer port 2380 is in use");
  }

  @Test
  void parseIsUsableWithoutPicocliAndPrintsWarnings() {
    ServerCommand command = new ServerCommand(c -> () -> { }, Map.of("ETCD_NAME", "x"), s -> { });
    ServerConfig config = command.parse("--data-dir", "/tmp/d");
    assertThat(config.name()).isEqualTo("x");
    assertThat(config.dataDir()).hasToString("/tmp/d");
  }
}
