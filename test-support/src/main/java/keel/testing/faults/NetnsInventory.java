package keel.testing.faults;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this machine's network holds, as far as {@link NetnsNetwork} cares: namespaces, links, the
 * 10.213.N.0/24 subnets in use, and the names a new network may take. Also removes what a killed
 * run left: every name {@link NetnsNetwork} makes carries a four-hex-digit id ({@code kb<id>},
 * {@code kv<id>-i}, {@code kn<id>-i}), and the bridge's alias names the owning JVM's pid.
 */
final class NetnsInventory {
  private static final Logger LOG = LoggerFactory.getLogger(NetnsInventory.class);
  static final String ALIAS_PREFIX = "keel-faults.pid.";
  private static final Pattern BRIDGE = Pattern.compile("kb([0-9a-f]{4})");
  private static final Pattern NAMESPACE = Pattern.compile("kn([0-9a-f]{4})-\\d+");
  private static final Pattern VETH = Pattern.compile("kv([0-9a-f]{4})-\\d+");
  private static final Pattern OWNER = Pattern.compile("alias " + Pattern.quote(ALIAS_PREFIX) + "(\\d+)");
  private static final SecureRandom RANDOM = new SecureRandom();

  private NetnsInventory() {}

  /**
   * Removes the namespaces, veths, bridges and forwarding rules this class made in runs whose JVM
   * is gone (a killed test). A live run's network, this JVM's included, is left alone. Returns what
   * it removed.
   */
  static List<String> sweepLeftovers() {
    Set<String> live = new HashSet<>();
    Set<String> dead = new TreeSet<>();
    for (String line : HostCommand.run(List.of("ip", "-o", "link", "show", "type", "bridge")).lines().toList()) {
      String name = linkName(line);
      Matcher bridge = BRIDGE.matcher(name);
      if (!bridge.matches()) {
        continue;
      }
      Matcher owner = OWNER.matcher(line);
      boolean alive = owner.find() && ProcessHandle.of(Long.parseLong(owner.group(1))).map(ProcessHandle::isAlive).orElse(false);
      (alive ? live : dead).add(bridge.group(1));
    }
    List<String> removed = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (String veth : links()) {
      Matcher m = VETH.matcher(veth);
      if (m.matches() && !live.contains(m.group(1))) {
        attempt(failures, List.of("ip", "link", "del", veth));
        removed.add("veth " + veth);
        dead.add(m.group(1));
      }
    }
    for (String ns : namespaces()) {
      Matcher m = NAMESPACE.matcher(ns);
      if (m.matches() && !live.contains(m.group(1))) {
        attempt(failures, List.of("ip", "netns", "delete", ns));
        removed.add("namespace " + ns);
        dead.add(m.group(1));
      }
    }
    String forward = HostCommand.attempt(List.of("iptables", "-S", "FORWARD")).stdout();
    for (String id : dead) {
      String bridge = "kb" + id;
      if (forward.contains("-i " + bridge + " -o " + bridge + " -j ACCEPT")) {
        attempt(failures, List.of("iptables", "-D", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"));
        removed.add("iptables FORWARD rule for " + bridge);
      }
      if (links().contains(bridge)) {
        attempt(failures, List.of("ip", "link", "del", bridge));
        removed.add("bridge " + bridge);
      }
    }
    if (!removed.isEmpty()) {
      LOG.warn("removed network leftovers of earlier runs: {}", removed);
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("sweeping leftovers failed:\n" + String.join("\n", failures));
    }
    return removed;
  }

  /** Names of the namespaces on this machine ({@code ip netns list}). */
  static Set<String> namespaces() {
    Set<String> names = new TreeSet<>();
    for (String line : HostCommand.run(List.of("ip", "netns", "list")).lines().toList()) {
      if (!line.isBlank()) {
        names.add(line.strip().split("\\s+")[0]);
      }
    }
    return names;
  }

  static Set<String> links() {
    Set<String> names = new TreeSet<>();
    for (String line : HostCommand.run(List.of("ip", "-o", "link", "show")).lines().toList()) {
      names.add(linkName(line));
    }
    return names;
  }

  /** {@code 7: kv1a2b-0@if6: <...>} -> {@code kv1a2b-0}. */
  private static String linkName(String line) {
    String[] parts = line.split(":\\s+", 3);
    if (parts.length < 2) {
      return "";
    }
    int at = parts[1].indexOf('@');
    return at < 0 ? parts[1].strip() : parts[1].substring(0, at);
  }

  static void attempt(List<String> failures, List<String> command) {
    HostCommand.Output out = HostCommand.attempt(command);
    if (!out.succeeded()) {
      failures.add(String.join(" ", command) + ": exit " + out.exitCode() + ": " + out.stderr().strip());
    }
  }

  /** A four-hex-digit id no bridge, veth or namespace on this machine uses yet. */
  static String freshId() {
    Set<String> taken = new HashSet<>(links());
    taken.addAll(namespaces());
    while (true) {
      String id = String.format(Locale.ROOT, "%04x", RANDOM.nextInt(1 << 16));
      if (taken.stream().noneMatch(name -> name.length() > 2 && name.substring(2).startsWith(id))) {
        return id;
      }
    }
  }

  /** A random N in 10.213.N.0/24 that no route and no address on this machine overlaps. */
  static int freeSubnet() {
    String routes = HostCommand.run(List.of("ip", "-4", "-o", "route", "show", "table", "all"))
        + HostCommand.run(List.of("ip", "-4", "-o", "addr", "show"));
    Set<Integer> used = new HashSet<>();
    Matcher m = Pattern.compile("10\\.213\\.(\\d+)\\.").matcher(routes);
    while (m.find()) {
      used.add(Integer.parseInt(m.group(1)));
    }
    List<Integer> free = new ArrayList<>();
    for (int n = 1; n < 255; n++) {
      if (!used.contains(n)) {
        free.add(n);
      }
    }
    if (free.isEmpty()) {
      throw new IllegalStateException("every 10.213.N.0/24 is in use; NetnsNetwork.sweepLeftovers() may free some");
    }
    return free.get(RANDOM.nextInt(free.size()));
  }
}
