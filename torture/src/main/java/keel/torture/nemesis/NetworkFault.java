package keel.torture.nemesis;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import keel.testing.faults.NetnsNetwork;
import keel.torture.TortureCluster;

/**
 * Network cuts between the members' namespaces (nftables DROP rules, healed by removing them all),
 * one kind per instance:
 *
 * <ul>
 *   <li>{@code isolate-leader}: the leader hears no other member; clients still reach it, so it
 *       must stop serving linearizable reads and writes once it loses its majority.
 *   <li>{@code split}: a random minority against the majority.
 *   <li>{@code bridge}: two sides that do not see each other, and one member that sees both.
 *   <li>{@code lossy}: a member (often the leader) drops 30% of the packets it receives.
 * </ul>
 *
 * A cut must show: every member it separates from the leader stops following that leader while the
 * cut holds ({@link LeaderLost}); the lossy link has no such sign and is not checked.
 */
public final class NetworkFault implements Fault {
  private final String name;

  private NetworkFault(String name) {
    this.name = name;
  }

  public static NetworkFault isolateLeader() {
    return new NetworkFault("isolate-leader");
  }

  public static NetworkFault split() {
    return new NetworkFault("split");
  }

  public static NetworkFault bridge() {
    return new NetworkFault("bridge");
  }

  public static NetworkFault lossy() {
    return new NetworkFault("lossy");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Injected inject(TortureCluster cluster, SplittableRandom random) {
    NetnsNetwork net = cluster.network();
    int n = cluster.size();
    int leader = cluster.leader();
    String target;
    Set<Integer> cutFromLeader = new TreeSet<>(); // members that can no longer reach the leader
    switch (name) {
      case "isolate-leader" -> {
        int victim = leader >= 0 ? leader : random.nextInt(n);
        net.isolate(victim);
        target = Targets.label(cluster, victim, leader);
        for (int i = 0; i < n; i++) {
          if (i != victim) {
            cutFromLeader.add(i);
          }
        }
      }
      case "split" -> {
        Set<Integer> minority = new LinkedHashSet<>();
        while (minority.size() < (n - 1) / 2) {
          minority.add(random.nextInt(n));
        }
        Set<Integer> majority = new HashSet<>();
        for (int i = 0; i < n; i++) {
          if (!minority.contains(i)) {
            majority.add(i);
          }
        }
        net.partition(minority, majority);
        target = names(cluster, minority, leader) + " | " + names(cluster, majority, leader);
        cutFromLeader.addAll(minority.contains(leader) ? majority : minority);
      }
      case "bridge" -> {
        int middle = random.nextInt(n);
        Set<Integer> left = new LinkedHashSet<>();
        Set<Integer> right = new LinkedHashSet<>();
        for (int i = 0, k = 0; i < n; i++) {
          if (i != middle) {
            (k++ % 2 == 0 ? left : right).add(i);
          }
        }
        net.bridge(left, middle, right);
        if (left.contains(leader)) {
          cutFromLeader.addAll(right);
        } else if (right.contains(leader)) {
          cutFromLeader.addAll(left);
        }
        target = names(cluster, left, leader) + " <" + Targets.label(cluster, middle, leader) + "> "
            + names(cluster, right, leader);
      }
      case "lossy" -> {
        int victim = Targets.pick(cluster, leader, random);
        net.lossy(victim, 0.3);
        target = Targets.label(cluster, victim, leader) + " 30%";
      }
      default -> throw new IllegalStateException("unknown network fault " + name);
    }
    return new Injected(target, net::heal, LeaderLost.of(cluster, leader, cutFromLeader));
  }

  private static String names(TortureCluster cluster, Set<Integer> members, int leader) {
    return members.stream().sorted().map(i -> Targets.label(cluster, i, leader)).collect(Collectors.joining(","));
  }
}
