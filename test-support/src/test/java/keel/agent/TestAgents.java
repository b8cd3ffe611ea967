package keel.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import keel.agent.cli.AgentCommand;
import keel.agent.hosts.HostsTable;

/**
 * Agents run in the test's JVM against an existing cluster ({@code keel agent --endpoints ...}),
 * each with its own files under one directory and its own prefix per test, configured through the
 * real command line. Closes every agent it started.
 */
final class TestAgents implements AutoCloseable {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  private final String endpoints;
  private final Path dir;
  private final String prefix;
  private final List<Agent> started = new ArrayList<>();

  TestAgents(String endpoints, Path dir) {
    this.endpoints = endpoints;
    this.dir = dir;
    this.prefix = "/agent-test-" + ProcessHandle.current().pid() + "-" + PREFIXES.incrementAndGet();
  }

  String prefix() {
    return prefix;
  }

  Path hostsFile(String name) {
    return dir.resolve(name).resolve("hosts");
  }

  /** An agent named {@code name} on {@code ip}: TTL 2 s, no gate and no proxy unless {@code extra} says so. */
  Agent start(String name, String ip, String... extra) throws IOException {
    Path home = dir.resolve(name);
    Files.createDirectories(home);
    List<String> args = new ArrayList<>(List.of("--endpoints", endpoints, "--name", name, "--advertise-ip", ip,
        "--prefix", prefix, "--ttl", "2s", "--stop-grace", "1s",
        "--hosts-file", home.resolve("hosts").toString(), "--ssh-dir", home.resolve("ssh").toString(),
        "--state-dir", home.resolve("state").toString()));
    if (!List.of(extra).contains("--gate-cmd")) {
      args.addAll(List.of("--gate-cmd", "none"));
    }
    if (!List.of(extra).contains("--proxy-listen")) {
      args.addAll(List.of("--proxy-listen", "none"));
    }
    args.addAll(List.of(extra));
    Agent agent = Agent.start(AgentCommand.parse(Map.of(), args.toArray(String[]::new)));
    started.add(agent);
    return agent;
  }

  /** Whether {@code name}'s hosts file has a line {@code <ip> <member> ...} for each of {@code members} ("name=ip"). */
  boolean lists(String name, String... members) {
    try {
      Map<String, String> listed = HostsTable.members(hostsFile(name));
      for (String member : members) {
        String[] m = member.split("=");
        if (!m[1].equals(listed.get(m[0]))) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  void stop(Agent agent) {
    started.remove(agent);
    agent.close();
  }

  @Override
  public void close() {
    for (Agent agent : started) {
      agent.close();
    }
    started.clear();
  }
}
