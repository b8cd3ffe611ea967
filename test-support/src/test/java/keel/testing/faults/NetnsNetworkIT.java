package keel.testing.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each fault of {@link NetnsNetwork}, probed without any server: a TCP connect to a closed port is
 * refused at once while the path is open, and times out while a DROP rule eats the SYN.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetnsNetworkIT {
  /** Any port nothing listens on inside the namespaces (discard). */
  private static final int CLOSED_PORT = 9;

  @Test
  void everyFaultCutsWhatItSaysAndHealRestoresIt() throws IOException {
    NetnsNetwork.sweepLeftovers();
    NetnsNetwork net = NetnsNetwork.create(3);
    try {
      assertThat(net.address(0)).matches("10\\.213\\.\\d+\\.10");
      assertThat(net.relayFor(InetAddress.getByName(net.address(2))).getHostAddress()).isEqualTo(net.relayAddress(2));
      assertThat(net.relayFor(InetAddress.getByName(net.hostAddress()))).isNull();
      assertThat(reaches(net, 0, 1)).isTrue();
      assertThat(reaches(net, 2, 1)).isTrue();
      assertThat(clientReaches(net, 0)).isTrue();

      net.cut(0, 1);
      assertThat(reaches(net, 0, 1)).as("0 -> 1 after cut 0-1").isFalse();
      assertThat(reaches(net, 1, 0)).as("1 -> 0 after cut 0-1").isFalse();
      assertThat(reaches(net, 0, 2)).isTrue();
      assertThat(clientReaches(net, 1)).isTrue();
      assertThat(relayReaches(net, 0, 1)).as("0's relay -> 1 after cut 0-1").isFalse();
      assertThat(relayReaches(net, 1, 0)).as("1's relay -> 0 after cut 0-1").isFalse();
      assertThat(relayReaches(net, 2, 1)).as("2's relay -> 1 after cut 0-1").isTrue();
      net.heal();
      assertThat(relayReaches(net, 0, 1)).as("0's relay -> 1 after heal").isTrue();
      assertThat(net.faults()).isEmpty();
      assertThat(reaches(net, 0, 1)).as("0 -> 1 after heal").isTrue();

      net.isolate(2);
      assertThat(net.faults()).containsExactly("cut 2-0", "cut 2-1");
      assertThat(reaches(net, 2, 0)).isFalse();
      assertThat(reaches(net, 1, 2)).isFalse();
      assertThat(reaches(net, 0, 1)).isTrue();
      assertThat(clientReaches(net, 2)).as("clients reach an isolated node").isTrue();
      net.heal();

      net.isolateFromClients(0);
      assertThat(clientReaches(net, 0)).isFalse();
      assertThat(reaches(net, 1, 0)).isTrue();
      assertThat(relayReaches(net, 1, 0)).as("relayed peers reach a node cut from clients").isTrue();
      net.heal();

      net.bridge(Set.of(0), 1, Set.of(2));
      assertThat(reaches(net, 0, 2)).isFalse();
      assertThat(reaches(net, 0, 1)).isTrue();
      assertThat(reaches(net, 2, 1)).isTrue();
      net.heal();
      assertThatThrownBy(() -> net.partition(Set.of(0, 1), Set.of(1, 2)))
          .hasMessageContaining("node 1 is on two sides");

      net.lossy(1, 1.0);
      assertThat(net.faults()).containsExactly("lossy 1 100%");
      assertThat(reaches(net, 0, 1)).isFalse();
      assertThat(clientReaches(net, 1)).isFalse();
      net.heal();
      assertThat(reaches(net, 0, 1)).isTrue();

      net.lossy(2, 0.3);
      List<String> listChain = new java.util.ArrayList<>(net.commandPrefix(2));
      listChain.addAll(List.of("nft", "list", "chain", "inet", NetnsNetwork.TABLE, "input"));
      assertThat(HostCommand.run(listChain)).contains("numgen random mod 100 < 30 drop");
      net.heal();
      assertThat(HostCommand.run(listChain)).doesNotContain("drop");
    } finally {
      net.close();
    }
    net.close(); // idempotent
    assertThat(NetnsInventory.namespaces()).doesNotContain(net.namespace(0), net.namespace(1), net.namespace(2));
    assertThat(NetnsInventory.links()).doesNotContain(net.bridgeName());
    assertThat(HostCommand.run(List.of("iptables", "-S", "FORWARD"))).doesNotContain(net.bridgeName());
  }

  @Test
  void sweepRemovesWhatADeadRunLeftAndSparesALiveOne() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String id = "f" + String.format("%03x", (int) (ProcessHandle.current().pid() % 4096));
    String bridge = "kb" + id;
    String ns = "kn" + id + "-0";
    try (NetnsNetwork live = NetnsNetwork.create(1)) {
      HostCommand.run(List.of("ip", "link", "add", bridge, "type", "bridge"));
      HostCommand.run(List.of("ip", "link", "set", "dev", bridge, "alias", "keel-faults.pid." + gone.pid()));
      HostCommand.run(List.of("ip", "netns", "add", ns));
      HostCommand.run(List.of("ip", "link", "add", "kv" + id + "-0", "type", "veth", "peer", "name", "eth0", "netns", ns));
      HostCommand.run(List.of("ip", "link", "set", "kv" + id + "-0", "master", bridge));

      List<String> removed = NetnsNetwork.sweepLeftovers();

      assertThat(removed).contains("bridge " + bridge, "namespace " + ns, "veth kv" + id + "-0");
      assertThat(removed).noneMatch(r -> r.contains(live.bridgeName()) || r.contains(live.namespace(0)));
      assertThat(NetnsInventory.namespaces()).doesNotContain(ns).contains(live.namespace(0));
      assertThat(NetnsInventory.links()).doesNotContain(bridge).contains(live.bridgeName());
    } finally {
      HostCommand.attempt(List.of("ip", "link", "del", bridge));
      HostCommand.attempt(List.of("ip", "netns", "delete", ns));
    }
  }

  /** Whether a connect from {@code from}'s namespace to {@code to} gets an answer (a refusal) within a second. */
  private static boolean reaches(NetnsNetwork net, int from, int to) {
    List<String> command = new java.util.ArrayList<>(net.commandPrefix(from));
    command.addAll(List.of("timeout", "1", "bash", "-c", "exec 3<>/dev/tcp/" + net.address(to) + "/" + CLOSED_PORT));
    HostCommand.Output out = HostCommand.attempt(command);
    if (out.exitCode() == 124) {
      return false;
    }
    assertThat(out.stderr()).as("probe %s -> %s", from, to).contains("Connection refused");
    return true;
  }

  /** Whether a connect from the root namespace (where clients run) to {@code node} is answered within a second. */
  private static boolean clientReaches(NetnsNetwork net, int node) {
    return probe(net, null, node);
  }

  /**
   * Whether a connect from {@code from}'s relay address (a proxy in the root namespace relaying
   * {@code from}'s connection) to {@code to} is answered within a second.
   */
  private static boolean relayReaches(NetnsNetwork net, int from, int to) {
    return probe(net, net.relayAddress(from), to);
  }

  private static boolean probe(NetnsNetwork net, String source, int node) {
    try (Socket s = new Socket()) {
      if (source != null) {
        s.bind(new InetSocketAddress(source, 0));
      }
      s.connect(new InetSocketAddress(net.address(node), CLOSED_PORT), 1000);
      throw new AssertionError("something listens on " + net.address(node) + ":" + CLOSED_PORT);
    } catch (ConnectException refused) {
      return true;
    } catch (SocketTimeoutException cut) {
      return false;
    } catch (IOException e) {
      throw new AssertionError("probe of " + net.address(node), e);
    }
  }
}
