package keel.testing.faults;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small network of Linux network namespaces for cutting links between cluster members: one
 * namespace per node, each with a veth pair into one bridge in the root namespace. Needs root,
 * iproute2 and nftables ({@code .ci/install-test-deps}); {@code tc netem} is not used (the kernel
 * here has no {@code sch_netem}), delay is {@link DelayProxy}'s job.
 *
 * <pre>
 *   root namespace (the test, its clients)      10.213.N.1   bridge kb&lt;id&gt;
 *     ├── veth kv&lt;id&gt;-0  ⇄  eth0 in kn&lt;id&gt;-0       10.213.N.10
 *     ├── veth kv&lt;id&gt;-1  ⇄  eth0 in kn&lt;id&gt;-1       10.213.N.11
 *     └── ...
 *   relay addresses on the bridge, one per node     10.213.N.110, .111, ...
 * </pre>
 *
 * A member runs inside its namespace by prefixing its command line with {@link #commandPrefix}
 * ({@code ip netns exec kn<id>-i}); each namespace has its own port space, so every member may
 * use etcd's default ports 2379/2380. The subnet N is picked among those no route on the machine
 * uses.
 *
 * <p>A proxy in the root namespace that relays node a's connections to another node (as {@link
 * DelayProxy} does between Raft members) dials from a's {@link #relayAddress relay address}, so the
 * node it reaches still sees who is talking: a cut between a and b drops a's own address and a's
 * relay address in b, and the same for b in a. (Without it, relayed traffic would arrive from the
 * root namespace's address and pass every cut.)
 *
 * <p>Faults are nftables DROP rules on the input hook of the nodes' namespaces (one table {@value
 * #TABLE} per namespace), so an established TCP connection is cut as well as new ones, and the
 * sender sees silence (timeouts), not a refusal, as in a real partition:
 *
 * <ul>
 *   <li>{@link #cut}, {@link #isolate}, {@link #partition}, {@link #bridge}: between nodes only;
 *       the root namespace, where the test's clients run, still reaches every node.
 *   <li>{@link #isolateFromClients}: the node no longer hears the root namespace (the clients);
 *       its links to the other nodes stay.
 *   <li>{@link #lossy}: drops a random share of every packet the node receives, from nodes and
 *       clients alike.
 *   <li>{@link #heal}: removes every rule.
 * </ul>
 *
 * {@link #close()} deletes the namespaces, veths and the bridge (stop the processes running in the
 * namespaces first: a namespace lives on while a process is inside it). It is idempotent and also
 * runs from a JVM shutdown hook; {@link #sweepLeftovers()} removes what a killed JVM left behind.
 * The bridge's alias names the owning JVM's pid, so a sweep never touches a live run's network.
 */
public final class NetnsNetwork implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NetnsNetwork.class);
  /** nftables table, one per namespace, holding every fault rule. */
  static final String TABLE = "keel_faults";
  private static final int FIRST_HOST = 10;
  private static final int FIRST_RELAY = 110;
  private static final int MAX_NODES = FIRST_RELAY - FIRST_HOST;

  private final String id;
  private final int subnet;
  private final int size;
  private final List<String> faults = new ArrayList<>();
  private final Thread shutdownHook;
  private boolean forwardRule;
  private boolean closed;

  private NetnsNetwork(String id, int subnet, int size) {
    this.id = id;
    this.subnet = subnet;
    this.size = size;
    this.shutdownHook = new Thread(this::closeQuietly, "keel-netns-" + id + "-cleanup");
  }

  /**
   * Creates the bridge and {@code nodes} namespaces, each node reachable from the root namespace
   * and from every other node. On failure removes whatever it made and throws with the failing
   * command and its stderr.
   */
  public static NetnsNetwork create(int nodes) {
    if (nodes < 1 || nodes > MAX_NODES) {
      throw new IllegalArgumentException("nodes must be in 1.." + MAX_NODES + ", was " + nodes);
    }
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      NetnsNetwork network = new NetnsNetwork(NetnsInventory.freshId(), NetnsInventory.freeSubnet(), nodes);
      Runtime.getRuntime().addShutdownHook(network.shutdownHook);
      try {
        if (network.build()) {
          LOG.info("{}: created {} namespaces on 10.213.{}.0/24", network.bridgeName(), nodes, network.subnet);
          return network;
        }
        last = new IllegalStateException("10.213." + network.subnet + ".0/24 was taken meanwhile");
      } catch (RuntimeException e) {
        network.discard();
        throw e;
      }
      network.discard(); // another run took the subnet at the same moment: try another
    }
    throw last;
  }

  /** Builds the network; false when its subnet turned out to be routed twice (a concurrent run). */
  private boolean build() {
    String bridge = bridgeName();
    ip("link", "add", bridge, "type", "bridge");
    ip("link", "set", "dev", bridge, "alias", NetnsInventory.ALIAS_PREFIX + ProcessHandle.current().pid());
    ip("addr", "add", "10.213." + subnet + ".1/24", "dev", bridge);
    ip("link", "set", bridge, "up");
    String routes = HostCommand.run(List.of("ip", "-4", "-o", "route", "show", "10.213." + subnet + ".0/24"));
    if (routes.strip().lines().count() != 1) {
      return false;
    }
    // Docker (and so many CI hosts) sets the FORWARD policy to DROP, and br_netfilter sends bridged
    // packets through it: let our bridge's own traffic pass.
    HostCommand.run(List.of("iptables", "-I", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"));
    forwardRule = true;
    for (int i = 0; i < size; i++) {
      ip("addr", "add", relayAddress(i) + "/32", "dev", bridge);
      String ns = namespace(i);
      ip("netns", "add", ns);
      ip("link", "add", veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
      ip("link", "set", veth(i), "master", bridge, "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      HostCommand.run(inNamespace(i, "nft", "-f", "-"),
          "table inet " + TABLE + " {\n"
              + "  chain input { type filter hook input priority 0; policy accept; }\n"
              + "}\n");
    }
    return true;
  }

  /** How many nodes (namespaces) the network has. */
  public int size() {
    return size;
  }

  /** The namespace of {@code node}, e.g. {@code kn1a2b-0}. */
  public String namespace(int node) {
    check(node);
    return "kn" + id + "-" + node;
  }

  /** The IPv4 address of {@code node} inside its namespace, e.g. {@code 10.213.7.10}. */
  public String address(int node) {
    check(node);
    return "10.213." + subnet + "." + (FIRST_HOST + node);
  }

  /**
   * The root namespace's address from which a proxy relays {@code node}'s connections (see the
   * class comment), e.g. {@code 10.213.7.110}: every cut that separates {@code node} from another
   * node drops it too.
   */
  public String relayAddress(int node) {
    check(node);
    return "10.213." + subnet + "." + (FIRST_RELAY + node);
  }

  /**
   * The relay address for a connection that came from {@code source}: {@code node}'s when {@code
   * source} is {@link #address node}'s, else {@code null} (a client in the root namespace), for
   * {@link DelayProxy#start(String, InetSocketAddress, InetSocketAddress, UnaryOperator)}.
   */
  public InetAddress relayFor(InetAddress source) {
    for (int i = 0; i < size; i++) {
      if (source.getHostAddress().equals(address(i))) {
        try {
          return InetAddress.getByName(relayAddress(i));
        } catch (UnknownHostException e) {
          throw new IllegalStateException("not an address: " + relayAddress(i), e);
        }
      }
    }
    return null;
  }

  /** The root namespace's address on the bridge: where the nodes see the test's clients come from. */
  public String hostAddress() {
    return "10.213." + subnet + ".1";
  }

  /** The bridge in the root namespace, e.g. {@code kb1a2b}. */
  public String bridgeName() {
    return "kb" + id;
  }

  /** {@code ip netns exec <ns>}: put it before a command line to run that command in {@code node}'s namespace. */
  public List<String> commandPrefix(int node) {
    return List.of("ip", "netns", "exec", namespace(node));
  }

  /** Cuts the link between {@code a} and {@code b}, both directions (DROP in each for the other). */
  public synchronized void cut(int a, int b) {
    if (a == b) {
      throw new IllegalArgumentException("cannot cut node " + a + " from itself");
    }
    drop(a, "ip saddr " + address(b));
    drop(a, "ip saddr " + relayAddress(b));
    drop(b, "ip saddr " + address(a));
    drop(b, "ip saddr " + relayAddress(a));
    faults.add("cut " + a + "-" + b);
  }

  /** Cuts {@code node} from every other node; the test's clients (root namespace) still reach it. */
  public synchronized void isolate(int node) {
    for (int other = 0; other < size; other++) {
      if (other != node) {
        cut(node, other);
      }
    }
  }

  /** {@code node} stops hearing the root namespace (the test's clients); its peer links stay. */
  public synchronized void isolateFromClients(int node) {
    drop(node, "ip saddr " + hostAddress());
    faults.add("isolate " + node + " from clients");
  }

  /**
   * Cuts every link between nodes on different sides; links within a side stay. A node on no side
   * keeps all its links (see {@link #bridge}). Sides must not overlap.
   */
  @SafeVarargs
  public final synchronized void partition(Set<Integer>... sides) {
    Set<Integer> seen = new HashSet<>();
    for (Set<Integer> side : sides) {
      for (int node : side) {
        check(node);
        if (!seen.add(node)) {
          throw new IllegalArgumentException("node " + node + " is on two sides of " + List.of(sides));
        }
      }
    }
    for (int s = 0; s < sides.length; s++) {
      for (int t = s + 1; t < sides.length; t++) {
        for (int a : new TreeSet<>(sides[s])) {
          for (int b : new TreeSet<>(sides[t])) {
            cut(a, b);
          }
        }
      }
    }
  }

  /** {@code left} and {@code right} no longer see each other; {@code bridge} still sees both. */
  public synchronized void bridge(Set<Integer> left, int bridge, Set<Integer> right) {
    if (left.contains(bridge) || right.contains(bridge)) {
      throw new IllegalArgumentException("bridge node " + bridge + " must be on neither side");
    }
    partition(left, right);
  }

  /**
   * Drops {@code dropShare} (0..1, in whole percent) of every packet {@code node} receives, from
   * nodes and clients alike (nftables {@code numgen random mod 100 < N drop}).
   */
  public synchronized void lossy(int node, double dropShare) {
    if (!(dropShare >= 0 && dropShare <= 1)) {
      throw new IllegalArgumentException("dropShare must be in [0, 1], was " + dropShare);
    }
    long percent = Math.round(dropShare * 100);
    if (percent == 100) {
      drop(node, ""); // numgen's range ends at 99
    } else if (percent > 0) {
      drop(node, "numgen random mod 100 < " + percent);
    }
    faults.add("lossy " + node + " " + percent + "%");
  }

  /** The faults in force, in the order they were made (e.g. {@code cut 0-1}); empty after {@link #heal}. */
  public synchronized List<String> faults() {
    return List.copyOf(faults);
  }

  /**
   * Removes the namespaces, veths, bridges and forwarding rules this class made in runs whose JVM
   * is gone (a killed test). A live run's network, this JVM's included, is left alone. Returns what
   * it removed.
   */
  public static List<String> sweepLeftovers() {
    return NetnsInventory.sweepLeftovers();
  }

  /** Removes every fault rule: all nodes reach each other and the root namespace again. */
  public synchronized void heal() {
    requireOpen();
    for (int i = 0; i < size; i++) {
      HostCommand.run(inNamespace(i, "nft", "flush", "chain", "inet", TABLE, "input"));
    }
    faults.clear();
  }

  /**
   * Deletes the namespaces, veths, bridge and forwarding rule. Idempotent; failures are collected
   * and thrown together after every step was tried.
   */
  @Override
  public void close() {
    List<String> failures = teardown();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook itself is running, or about to
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException(bridgeName() + ": cleanup failed:\n" + String.join("\n", failures));
    }
  }

  private void discard() {
    closeQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // nothing to remove
    }
  }

  private void closeQuietly() {
    List<String> failures = teardown();
    if (!failures.isEmpty()) {
      LOG.warn("{}: cleanup failed; `ip netns list`, `ip link` show what is left, NetnsNetwork.sweepLeftovers() "
          + "removes it: {}", bridgeName(), failures);
    }
  }

  private synchronized List<String> teardown() {
    if (closed) {
      return List.of();
    }
    closed = true;
    faults.clear();
    List<String> failures = new ArrayList<>();
    Set<String> namespaces = NetnsInventory.namespaces();
    Set<String> links = NetnsInventory.links();
    for (int i = 0; i < size; i++) {
      String ns = "kn" + id + "-" + i;
      String veth = "kv" + id + "-" + i;
      if (links.contains(veth)) {
        NetnsInventory.attempt(failures, List.of("ip", "link", "del", veth));
      }
      if (namespaces.contains(ns)) {
        NetnsInventory.attempt(failures, List.of("ip", "netns", "delete", ns));
      }
    }
    if (forwardRule) {
      NetnsInventory.attempt(failures, List.of("iptables", "-D", "FORWARD", "-i", bridgeName(), "-o", bridgeName(), "-j", "ACCEPT"));
    }
    if (links.contains(bridgeName())) {
      NetnsInventory.attempt(failures, List.of("ip", "link", "del", bridgeName()));
    }
    LOG.info("{}: removed", bridgeName());
    return failures;
  }

  private void drop(int node, String match) {
    requireOpen();
    List<String> command = new ArrayList<>(inNamespace(node, "nft", "add", "rule", "inet", TABLE, "input"));
    if (!match.isEmpty()) {
      command.addAll(List.of(match.split(" ")));
    }
    command.add("drop");
    HostCommand.run(command);
  }

  private List<String> inNamespace(int node, String... command) {
    List<String> full = new ArrayList<>(commandPrefix(node));
    full.addAll(List.of(command));
    return full;
  }

  private String veth(int node) {
    return "kv" + id + "-" + node;
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>();
    command.add("ip");
    command.addAll(List.of(args));
    HostCommand.run(command);
  }

  private void check(int node) {
    if (node < 0 || node >= size) {
      throw new IllegalArgumentException("no node " + node + " in a network of " + size);
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(bridgeName() + " is closed");
    }
  }

  @Override
  public String toString() {
    return bridgeName() + "(10.213." + subnet + ".0/24, " + size + " nodes)";
  }
}
