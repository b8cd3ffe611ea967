package keel.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import keel.testing.Deadlines;
import keel.testing.KeelCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents in this JVM against an in-process 3-member Keel ({@code keel agent --endpoints}): the
 * tables, the gate and the proxy, and the bad input the agent must survive with a clear word
 * (an unwritable hosts file, a duplicate name, an unreachable cluster) while it keeps serving what
 * it can.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AgentIT {
  @RegisterExtension static final KeelCluster cluster = KeelCluster.ofSize(3);

  @TempDir Path dir;
  private TestAgents agents;

  @BeforeEach
  void agents() {
    agents = new TestAgents(cluster.endpoints().stream().map(URI::toString).collect(Collectors.joining(",")), dir);
  }

  @AfterEach
  void stopAgents() {
    agents.close();
  }

  @Test
  void everyAgentListsEveryMemberAndAnUnwritableHostsFileHarmsNoOne() throws Exception {
    agents.start("a", "127.0.0.31");
    agents.start("b", "127.0.0.32");
    Agent c = agents.start("c", "127.0.0.33", "--hosts-file", dir.resolve("missing-dir/hosts").toString());

    Deadlines.await("a and b list a, b and c", Duration.ofSeconds(20)).until(() ->
        agents.lists("a", "a=127.0.0.31", "b=127.0.0.32", "c=127.0.0.33")
            && agents.lists("b", "a=127.0.0.31", "b=127.0.0.32", "c=127.0.0.33"));
    Deadlines.await("c reports its hosts file", Duration.ofSeconds(20))
        .until(() -> c.problems().getOrDefault("hosts file", ""), p -> p.contains("missing-dir"));
    assertThat(Files.exists(dir.resolve("missing-dir"))).isFalse();
    Deadlines.await("every member's ssh key in a's authorized_keys", Duration.ofSeconds(10)).until(() ->
        Files.exists(dir.resolve("a/ssh/authorized_keys")) && Files.readString(dir.resolve("a/ssh/authorized_keys"))
            .lines().filter(l -> l.startsWith("ssh-ed25519")).count() == 3);
  }

  @Test
  void aDuplicateNameIsReportedAndNeverTakesTheOthersEntry() throws Exception {
    Agent first = agents.start("dup", "127.0.0.41");
    Deadlines.await("dup registered", Duration.ofSeconds(20)).until(() -> agents.lists("dup", "dup=127.0.0.41"));
    Agent second = agents.start("dup", "127.0.0.42", "--state-dir", dir.resolve("second-state").toString(),
        "--hosts-file", dir.resolve("second-hosts").toString(), "--ssh-dir", dir.resolve("second-ssh").toString());

    Deadlines.await("the second reports the duplicate name", Duration.ofSeconds(20))
        .until(() -> second.problems().getOrDefault("registration", ""), p -> p.contains("--name dup"));
    assertThat(memberIp("dup")).isEqualTo("127.0.0.41");
    assertThat(Files.readString(dir.resolve("second-hosts"))).as("it still keeps its table").contains("127.0.0.41 dup");

    // Once the first is gone, the second's retries take the name over.
    agents.stop(first);
    Deadlines.await("the second registered", Duration.ofSeconds(20)).until(() -> "127.0.0.42".equals(memberIp("dup")));
    // The agent clears its problem once its put's answer is back, which may be after the key shows.
    Deadlines.await("the second's registration problem cleared", Duration.ofSeconds(5))
        .until(() -> !second.problems().containsKey("registration"));
  }

  @Test
  void anUnreachableClusterIsReportedAndTheAgentStillStopsPromptly() throws Exception {
    TestAgents nowhere = new TestAgents("http://127.0.0.1:1", dir.resolve("nowhere"));
    try {
      Agent lonely = nowhere.start("lonely", "127.0.0.51");
      Deadlines.await("the agent reports the cluster", Duration.ofSeconds(30))
          .until(() -> lonely.problems().getOrDefault("cluster", ""), p -> p.contains("127.0.0.1:1"));
      long start = System.nanoTime();
      nowhere.stop(lonely);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Deadlines.scaled(Duration.ofSeconds(10)));
    } finally {
      nowhere.close();
    }
  }

  @Test
  void oneAgentRunsTheGatedProcessAndEveryProxyReachesIt() throws Exception {
    Agent x = agents.start("x", "127.0.0.61", "--gate-cmd", "builtin", "--proxy-listen", "127.0.0.61:8888");
    Agent y = agents.start("y", "127.0.0.62", "--gate-cmd", "builtin", "--proxy-listen", "127.0.0.62:8888");
    String holder = Deadlines.await("one gated process", Duration.ofSeconds(30)).until(() ->
        x.runsGatedProcess() == y.runsGatedProcess() ? null : x.runsGatedProcess() ? "x" : "y", h -> h != null);
    for (String proxy : List.of("127.0.0.61", "127.0.0.62")) {
      ProxyProbe.Response r = Deadlines.await("the page through " + proxy, Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> ProxyProbe.get(new InetSocketAddress(proxy, 8888), "/", 2000), resp -> resp.status() == 200);
      assertThat(r.header("X-Keel-Node")).isEqualTo(holder);
    }
    Deadlines.await("the hosts alias on the holder", Duration.ofSeconds(10)).until(() ->
        Files.readString(agents.hostsFile(holder.equals("x") ? "y" : "x")).contains(holder + " jupyter"));

    // The holder shuts down: its process stops first, then the other takes over.
    Agent leaving = holder.equals("x") ? x : y;
    Agent staying = holder.equals("x") ? y : x;
    agents.stop(leaving);
    assertThat(leaving.runsGatedProcess()).isFalse();
    Deadlines.await("the other runs it", Duration.ofSeconds(20)).until(staying::runsGatedProcess);
  }

  @Test
  void aGateCommandThatCannotRunHandsLeadershipToANodeWhereItCan() throws Exception {
    Agent broken = agents.start("broken", "127.0.0.71", "--gate-cmd", "/nonexistent/keel-gate --serve");
    Deadlines.await("the broken node leads", Duration.ofSeconds(20))
        .until(() -> holderNode().equals("broken"));
    Agent healthy = agents.start("healthy", "127.0.0.72", "--gate-cmd", "builtin");
    Deadlines.await("the healthy node runs the gated process", Duration.ofSeconds(60))
        .until(healthy::runsGatedProcess);
    assertThat(holderNode()).isEqualTo("healthy");
    assertThat(broken.runsGatedProcess()).isFalse();
    assertThat(broken.problems()).as("it keeps serving the rest").doesNotContainKey("registration");
  }

  /** The node that holds the agents' election, or "" when nobody campaigns. */
  private String holderNode() throws Exception {
    return AgentKeys.gateHolder(cluster.client(), agents.prefix()).get(5, TimeUnit.SECONDS).orElse("");
  }

  /** The ip in {@code name}'s member entry, or null when it has none. */
  private String memberIp(String name) throws Exception {
    List<KeyValue> kvs = cluster.kv().get(ByteSequence.from(AgentKeys.members(agents.prefix()) + name,
        StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? null : NodeRecord.parse(kvs.get(0).getValue()).get("ip").orElse(null);
  }
}
