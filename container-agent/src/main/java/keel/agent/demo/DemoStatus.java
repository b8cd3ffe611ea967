package keel.agent.demo;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.options.GetOption;
import java.net.URI;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import keel.agent.AgentKeys;
import keel.agent.demo.DemoLayout.DemoNode;

/**
 * What {@code keel demo status} prints: per node its process state, whether it is registered, the
 * Raft leader, where the gated process runs and the proxy addresses; as a table or as JSON.
 */
public record DemoStatus(Path dir, List<NodeStatus> nodes, Optional<String> raftLeader,
    Optional<String> gateHolder, String gate) {

  /** One node's line. */
  public record NodeStatus(String name, String ip, String state, Optional<Long> pid, boolean registered,
      boolean raftLeader, boolean gated, String proxyUrl) {}

  private static final String MEMBERS = AgentKeys.members(AgentKeys.DEFAULT_PREFIX);

  /** Asks the running demo (every member that answers within a second). */
  public static DemoStatus collect(DemoLayout layout, DemoNodes processes) {
    Set<String> registered = new TreeSet<>();
    Optional<String> raftLeader = Optional.empty();
    Optional<String> holder = Optional.empty();
    List<DemoNode> running = layout.nodes().stream()
        .filter(n -> processes.state(n) == DemoNodes.State.RUNNING).toList();
    if (!running.isEmpty()) {
      try (Client client = Client.builder().endpoints(running.stream().map(n -> URI.create(n.clientUrl()))
          .toArray(URI[]::new)).build()) {
        for (DemoNode n : running) {
          try {
            StatusResponse s = client.getMaintenanceClient().statusMember(n.clientUrl())
                .get(1, TimeUnit.SECONDS);
            if (s.getLeader() != 0 && s.getLeader() == s.getHeader().getMemberId()) {
              raftLeader = Optional.of(n.name());
            }
          } catch (Exception e) {
            // not answering: no leader information from it
          }
        }
        ByteSequence prefix = bytes(MEMBERS);
        client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build()).get(2, TimeUnit.SECONDS)
            .getKvs().forEach(kv -> registered.add(kv.getKey().toString(StandardCharsets.UTF_8)
                .substring(MEMBERS.length())));
        holder = AgentKeys.gateHolder(client, AgentKeys.DEFAULT_PREFIX).get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        // the cluster does not answer (yet): report what the processes say
      }
    }
    List<NodeStatus> nodes = new ArrayList<>();
    for (DemoNode n : layout.nodes()) {
      String name = n.name();
      nodes.add(new NodeStatus(name, n.ip(), processes.state(n).name().toLowerCase(), processes.pid(n)
          .filter(pid -> processes.state(n) != DemoNodes.State.STOPPED), registered.contains(name),
          raftLeader.filter(name::equals).isPresent(), holder.filter(name::equals).isPresent(), n.proxyUrl()));
    }
    return new DemoStatus(layout.dir(), nodes, raftLeader, holder, layout.gateCmd());
  }

  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(String.format("keel demo in %s: %d nodes%n", dir, nodes.size()));
    out.append(String.format("%-8s %-12s %-8s %-8s %-10s %-5s %-6s %s%n",
        "NODE", "ADDRESS", "STATE", "PID", "REGISTERED", "RAFT", "GATED", "PROXY"));
    for (NodeStatus n : nodes) {
      out.append(String.format("%-8s %-12s %-8s %-8s %-10s %-5s %-6s %s%n", n.name(), n.ip(), n.state(),
          n.pid().map(String::valueOf).orElse("-"), n.registered() ? "yes" : "no",
          n.raftLeader() ? "lead" : "-", n.gated() ? "yes" : "-", n.proxyUrl()));
    }
    out.append("Raft leader: ").append(raftLeader.orElse("none")).append('\n');
    out.append("gated process (").append(gate).append("): ")
        .append(gateHolder.map(h -> "runs on " + h + "; reach it through any node's proxy")
            .orElse("not running"))
        .append('\n');
    return out.toString();
  }

  public String json() {
    StringBuilder out = new StringBuilder("{\"dir\":").append(quote(dir.toString()))
        .append(",\"raftLeader\":").append(raftLeader.map(DemoStatus::quote).orElse("null"))
        .append(",\"gateHolder\":").append(gateHolder.map(DemoStatus::quote).orElse("null"))
        .append(",\"gate\":").append(quote(gate)).append(",\"nodes\":[");
    for (int i = 0; i < nodes.size(); i++) {
      NodeStatus n = nodes.get(i);
      out.append(i == 0 ? "" : ",").append("{\"name\":").append(quote(n.name()))
          .append(",\"ip\":").append(quote(n.ip()))
          .append(",\"state\":").append(quote(n.state()))
          .append(",\"pid\":").append(n.pid().map(String::valueOf).orElse("null"))
          .append(",\"registered\":").append(n.registered())
          .append(",\"raftLeader\":").append(n.raftLeader())
          .append(",\"gated\":").append(n.gated())
          .append(",\"proxy\":").append(quote(n.proxyUrl())).append('}');
    }
    return out.append("]}").toString();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
