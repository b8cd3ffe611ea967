package keel.agent.demo;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Where a demo's nodes live and what they are called: nodes {@code node1..nodeN} on consecutive
 * loopback addresses from {@code baseIp} (127.0.0.11 by default), each with the container ports on
 * its own address, and one directory per node under the demo directory. Saved as
 * {@code <dir>/demo.properties} so that {@code keel demo status|kill|...} from another terminal
 * find the running demo.
 */
public record DemoLayout(Path dir, List<DemoNode> nodes, Path home, String gateCmd) {
  public static final String DEFAULT_BASE_IP = "127.0.0.11";
  public static final int CLIENT_PORT = 2379;
  public static final int PEER_PORT = 2380;
  public static final int PROXY_PORT = 8888;
  public static final int GATE_PORT = 18888;
  private static final String FILE = "demo.properties";

  /** One node of the demo and its files. */
  public record DemoNode(String name, String ip, Path dir) {
    public Path hostsFile() {
      return dir.resolve("hosts");
    }

    public Path authorizedKeys() {
      return dir.resolve("authorized_keys");
    }

    public Path dataDir() {
      return dir.resolve("data");
    }

    public Path sshDir() {
      return dir.resolve("ssh");
    }

    public Path pidFile() {
      return dir.resolve("pid");
    }

    public Path logFile() {
      return dir.resolve("node.log");
    }

    /** The built-in service's start/stop/request records (see DemoService). */
    public Path gateRecord() {
      return dir.resolve("gate-records");
    }

    public String clientUrl() {
      return "http://" + ip + ":" + CLIENT_PORT;
    }

    public String proxyUrl() {
      return "http://" + ip + ":" + PROXY_PORT + "/";
    }
  }

  public DemoLayout {
    nodes = List.copyOf(nodes);
  }

  public static DemoLayout of(Path dir, int count, String baseIp, Path home, String gateCmd) {
    if (count < 1 || count > 50) {
      throw new IllegalArgumentException("--nodes must be between 1 and 50, got " + count);
    }
    String[] octets = baseIp.split("\\.");
    if (octets.length != 4 || !octets[0].equals("127")) {
      throw new IllegalArgumentException("--base-ip must be a loopback address 127.x.y.z, got " + baseIp);
    }
    int last = Integer.parseInt(octets[3]);
    if (last + count - 1 > 254) {
      throw new IllegalArgumentException("--base-ip " + baseIp + " leaves no room for " + count + " nodes");
    }
    String stem = octets[0] + "." + octets[1] + "." + octets[2] + ".";
    List<DemoNode> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = "node" + (i + 1);
      nodes.add(new DemoNode(name, stem + (last + i), dir.resolve(name)));
    }
    return new DemoLayout(dir.toAbsolutePath(), nodes, home, gateCmd);
  }

  public DemoNode node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("no node '" + name + "' in the demo at " + dir + " (nodes: "
            + nodes.stream().map(DemoNode::name).collect(Collectors.joining(", ")) + ")"));
  }

  /** {@code node1=127.0.0.11,node2=...}: entrypoint.sh's KEEL_CLUSTER. */
  public String clusterSpec() {
    return nodes.stream().map(n -> n.name() + "=" + n.ip()).collect(Collectors.joining(","));
  }

  public String clientEndpoints() {
    return nodes.stream().map(DemoNode::clientUrl).collect(Collectors.joining(","));
  }

  public Path entrypoint() {
    return home.resolve("docker").resolve("entrypoint.sh");
  }

  public void save() throws IOException {
    Files.createDirectories(dir);
    Properties p = new Properties();
    p.setProperty("nodes", Integer.toString(nodes.size()));
    p.setProperty("baseIp", nodes.get(0).ip());
    p.setProperty("home", home.toString());
    p.setProperty("gateCmd", gateCmd);
    try (Writer w = Files.newBufferedWriter(dir.resolve(FILE))) {
      p.store(w, "keel demo: read by keel demo status|kill|pause|resume|restart");
    }
  }

  public static Optional<DemoLayout> load(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    return Optional.of(of(dir, Integer.parseInt(p.getProperty("nodes")), p.getProperty("baseIp"),
        Path.of(p.getProperty("home")), p.getProperty("gateCmd", "auto")));
  }
}
