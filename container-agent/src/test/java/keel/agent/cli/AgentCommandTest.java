package keel.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import keel.agent.AgentConfig;
import keel.server.cli.CliException;
import org.junit.jupiter.api.Test;

/** {@code keel agent}'s flags, as the container's entrypoint and a person give them. */
class AgentCommandTest {
  @Test
  void embeddedMemberTakesEtcdFlagsAndTheAgentsDefaults() {
    AgentConfig c = AgentCommand.parse(Map.of(), "--name", "node1", "--data-dir", "/var/lib/keel/node1",
        "--listen-client-urls", "http://10.1.0.11:2379", "--advertise-client-urls", "http://10.1.0.11:2379",
        "--listen-peer-urls", "http://10.1.0.11:2380", "--initial-advertise-peer-urls", "http://10.1.0.11:2380",
        "--initial-cluster", "node1=http://10.1.0.11:2380,node2=http://10.1.0.12:2380",
        "--gate-cmd", "none");
    assertThat(c.name()).isEqualTo("node1");
    assertThat(c.server()).isPresent();
    assertThat(c.server().get().name()).as("--name is the member's name too").isEqualTo("node1");
    assertThat(c.endpoints()).containsExactly(URI.create("http://10.1.0.11:2379"));
    assertThat(c.advertiseIp()).isEqualTo("10.1.0.11");
    assertThat(c.ttl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.stopGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.hostsFile()).isEqualTo(Path.of("/etc/hosts"));
    assertThat(c.serviceAlias()).isEqualTo("jupyter");
    assertThat(c.gatePort()).isEqualTo(18888);
    assertThat(c.proxyListen()).contains(new InetSocketAddress("10.1.0.11", 8888));
    assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/keel/node1/agent"));
    assertThat(c.membersPrefix()).isEqualTo("/keel/members/");
    assertThat(c.electionName()).isEqualTo("/keel/leader");
    assertThat(c.gateEnabled()).isFalse();
  }

  @Test
  void endpointsJoinAClusterAsAClientOnly() {
    AgentConfig c = AgentCommand.parse(Map.of(), "--endpoints", "http://127.0.0.1:2379,http://127.0.0.2:2379",
        "--name", "n", "--advertise-ip", "127.0.0.9", "--ttl", "3", "--prefix", "/mine/", "--proxy-listen", ":9999",
        "--gate-cmd", "none");
    assertThat(c.server()).isEmpty();
    assertThat(c.endpoints()).hasSize(2);
    assertThat(c.ttl()).as("a bare number is seconds, as etcdctl's --ttl").isEqualTo(Duration.ofSeconds(3));
    assertThat(c.prefix()).isEqualTo("/mine");
    assertThat(c.proxyListen()).contains(new InetSocketAddress("127.0.0.9", 9999));
    assertThat(c.stateDir()).isEqualTo(Path.of("n.keel-agent"));
  }

  @Test
  void tlsAndCredentialsComeFromEtcdctlsFlagsOverItsEnvironment() {
    Map<String, String> env = Map.of("ETCDCTL_CACERT", "/env/ca.pem", "ETCDCTL_CERT", "/env/c.pem",
        "ETCDCTL_KEY", "/env/k.pem", "ETCDCTL_USER", "alice:secret");
    AgentConfig fromEnv = AgentCommand.parse(env, "--endpoints", "https://127.0.0.1:2379", "--gate-cmd", "none");
    assertThat(fromEnv.connection().caCert()).isEqualTo(Path.of("/env/ca.pem"));
    assertThat(fromEnv.connection().cert()).isEqualTo(Path.of("/env/c.pem"));
    assertThat(fromEnv.connection().user()).isEqualTo("alice");
    assertThat(fromEnv.connection().password()).as("ETCDCTL_USER's name:password").isEqualTo("secret");
    assertThat(fromEnv.connection().usesTls()).isTrue();
    AgentConfig flags = AgentCommand.parse(env, "--endpoints", "https://127.0.0.1:2379", "--gate-cmd", "none",
        "--cacert", "/flag/ca.pem", "--user", "bob", "--password", "pw", "--insecure-skip-tls-verify");
    assertThat(flags.connection().caCert()).isEqualTo(Path.of("/flag/ca.pem"));
    assertThat(flags.connection().key()).isEqualTo(Path.of("/env/k.pem"));
    assertThat(flags.connection().user()).isEqualTo("bob");
    assertThat(flags.connection().password()).isEqualTo("pw");
    assertThat(flags.connection().insecureSkipTlsVerify()).isTrue();
    assertThatThrownBy(() -> AgentCommand.parse(Map.of(), "--endpoints", "https://127.0.0.1:2379",
        "--gate-cmd", "none", "--cert", "/c.pem")).hasMessageContaining("--cert (ETCDCTL_CERT) is given without --key");
  }

  @Test
  void anEmbeddedMemberOnHttpsLendsTheAgentItsClientTls() {
    String url = "https://10.1.0.11:2379";
    AgentConfig c = AgentCommand.parse(Map.of(), "--name", "node1", "--listen-client-urls", url,
        "--advertise-client-urls", url, "--cert-file", "/m/c.pem", "--key-file", "/m/k.pem",
        "--trusted-ca-file", "/m/ca.pem", "--gate-cmd", "none");
    assertThat(c.connection().caCert()).isEqualTo(Path.of("/m/ca.pem"));
    assertThat(c.connection().cert()).isEqualTo(Path.of("/m/c.pem"));
    assertThat(c.connection().key()).isEqualTo(Path.of("/m/k.pem"));
    AgentConfig auto = AgentCommand.parse(Map.of(), "--name", "node1", "--listen-client-urls", url,
        "--advertise-client-urls", url, "--auto-tls", "--gate-cmd", "none");
    assertThat(auto.connection().insecureSkipTlsVerify()).as("a self-signed certificate is not verified").isTrue();
    AgentConfig plain = AgentCommand.parse(Map.of(), "--name", "node1", "--cert-file", "/m/c.pem",
        "--key-file", "/m/k.pem", "--gate-cmd", "none");
    assertThat(plain.connection().usesTls()).as("http URLs: the files are the member's only").isFalse();
  }

  @Test
  void aFlagGivenTwiceTakesTheLastValueAsGosFlagPackage() {
    AgentConfig c = AgentCommand.parse(Map.of(), "--endpoints", "http://127.0.0.1:2379", "--name", "a",
        "--name", "b", "--gate-cmd", "none");
    assertThat(c.name()).isEqualTo("b");
  }

  @Test
  void badInputIsRefusedWithWhatToDo() {
    assertThatThrownBy(() -> AgentCommand.parse(Map.of(), "--endpoints", "http://127.0.0.1:2379", "--data-dir", "/x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes no member flags");
    assertThatThrownBy(() -> AgentCommand.parse(Map.of(), "--endpoints", "http://127.0.0.1:2379", "--ttl", "soon"))
        .hasMessageContaining("--ttl: 'soon' is not a duration");
    assertThatThrownBy(() -> AgentCommand.parse(Map.of(), "--endpoints", "http://127.0.0.1:2379", "--ttl", "500ms"))
        .hasMessageContaining("at least 1s");
    assertThatThrownBy(() -> AgentCommand.parse(Map.of(), "--endpoints", "http://127.0.0.1:2379",
        "--proxy-listen", "nowhere", "--gate-cmd", "none")).hasMessageContaining("--proxy-listen wants host:port");
    assertThatThrownBy(() -> AgentCommand.parse(Map.of(), "--endpoints", "http://127.0.0.1:2379", "--gate-cmd", " "))
        .hasMessageContaining("--gate-cmd is empty");
    assertThatThrownBy(() -> AgentCommand.parse(Map.of(), "--no-such-flag"))
        .isInstanceOf(CliException.class).hasMessageContaining("no-such-flag");
  }

  @Test
  void gateChoicesResolveToACommandAndSayWhatIsMissing() {
    GateCommands.Gate withJupyter = GateCommands.resolve("auto", "n1", "10.0.0.1:18888", null, exe -> true);
    assertThat(withJupyter.description()).isEqualTo("jupyter");
    assertThat(String.join(" ", withJupyter.argv())).contains("jupyter-notebook").contains("--NotebookApp.token=")
        .contains("$KEEL_GATE_PORT");
    assertThat(withJupyter.warning()).isEmpty();

    GateCommands.Gate without = GateCommands.resolve("auto", "n1", "10.0.0.1:18888", Path.of("/r"), exe -> false);
    assertThat(without.description()).isEqualTo("builtin");
    assertThat(without.argv()).contains("keel.agent.service.DemoService", "10.0.0.1:18888", "--record", "/r");
    assertThat(without.warning()).contains("jupyter-notebook is not installed");

    assertThat(GateCommands.resolve("jupyter", "n1", "h:1", null, exe -> false).warning())
        .contains("jupyter-notebook is not on the PATH");
    GateCommands.Gate custom = GateCommands.resolve("my-service --port 1", "n1", "h:1", null, exe -> false);
    assertThat(custom.argv()).isEqualTo(List.of("/bin/sh", "-c", "my-service --port 1"));
    assertThat(custom.warning()).contains("'my-service' is not on the PATH");
    assertThat(GateCommands.resolve("exec my-service --port 1", "n1", "h:1", null, exe -> exe.equals("my-service"))
        .warning()).as("exec is the shell's, the program is the next word").isEmpty();
    assertThat(GateCommands.resolve("exec my-service", "n1", "h:1", null, exe -> false).warning())
        .contains("'my-service' is not on the PATH");
    assertThat(GateCommands.resolve("none", "n1", "h:1", null, exe -> true).argv()).isEmpty();
  }
}
