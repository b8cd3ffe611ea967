package keel.torture;

import io.etcd.jetcd.maintenance.StatusResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.testing.ClusterProcesses;
import keel.testing.Leaders;
import keel.testing.MemberProcess;
import keel.testing.faults.DelayProxy;
import keel.testing.faults.FakeClocks;
import keel.testing.faults.NetnsNetwork;
import keel.torture.workload.Clients;
import keel.torture.workload.RegisterWorkload;

/**
 * The cluster under test: its member processes and one client per member. What the nemesis and
 * the final checks ask of it: who leads, each member's ID and revision, and whether all are back.
 */
public final class TortureCluster implements AutoCloseable {
  private final ClusterProcesses processes;
  private final Clients clients;
  private final NetnsNetwork network;
  private final List<DelayProxy> peerProxies;
  private final FakeClocks clocks;

  /**
   * @param network the members' namespaces, or {@code null} when they run on loopback
   * @param peerProxies per member, the proxy in front of its peer port (empty on loopback)
   * @param clocks the members' steppable wall clocks, or {@code null} when they run on the true one
   */
  public TortureCluster(ClusterProcesses processes, NetnsNetwork network, List<DelayProxy> peerProxies,
      FakeClocks clocks) {
    this.processes = processes;
    this.clients = new Clients(processes.clientUrls());
    this.network = network;
    this.peerProxies = List.copyOf(peerProxies);
    this.clocks = clocks;
  }

  /** The members' wall clocks, for the clock fault; fails when they run on the true clock. */
  public FakeClocks clocks() {
    if (clocks == null) {
      throw new IllegalStateException("the clock fault needs the members started under libfaketime (--faults clock)");
    }
    return clocks;
  }

  /** The members' network, for the network faults; fails on loopback. */
  public NetnsNetwork network() {
    if (network == null) {
      throw new IllegalStateException("network faults need the members in network namespaces (--netns)");
    }
    return network;
  }

  /** The proxy in front of member {@code index}'s peer port, for the delay fault. */
  public DelayProxy peerProxy(int index) {
    if (peerProxies.isEmpty()) {
      throw new IllegalStateException("the delay fault needs the members in network namespaces (--netns)");
    }
    return peerProxies.get(index);
  }

  public int size() {
    return processes.members().size();
  }

  public MemberProcess member(int index) {
    return processes.member(index);
  }

  public Clients clients() {
    return clients;
  }

  /** Member {@code index}'s status, or {@code null} when it does not answer within a second. */
  public StatusResponse status(int index) {
    return status(index, Duration.ofSeconds(1));
  }

  /** Member {@code index}'s status, or {@code null} when it does not answer within {@code timeout}. */
  public StatusResponse status(int index, Duration timeout) {
    try {
      return clients.member(index).getMaintenanceClient().statusMember(clients.urls().get(index))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  /** The member that says it leads, or -1. */
  public int leader() {
    return Leaders.leaderIndex(clients.member(0), clients.urls(), Duration.ofSeconds(1));
  }

  /**
   * Waits until every member answers, all agree on one leader and serve a linearizable read:
   * the cluster has converged after a healed fault. Returns how long it took.
   */
  public Duration awaitConverged(Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      if (converged()) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        StringBuilder state = new StringBuilder();
        for (int i = 0; i < size(); i++) {
          StatusResponse s = status(i);
          state.append("\n  ").append(member(i)).append(": ").append(s == null ? "no answer"
              : "leader " + Long.toHexString(s.getLeader()) + ", raft index " + s.getRaftIndex());
        }
        throw new IllegalStateException("the cluster did not converge within " + timeout + state);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  private boolean converged() {
    long leader = 0;
    for (int i = 0; i < size(); i++) {
      StatusResponse s = status(i);
      if (s == null || s.getLeader() == 0 || (leader != 0 && s.getLeader() != leader)) {
        return false;
      }
      leader = s.getLeader();
    }
    for (int i = 0; i < size(); i++) {
      try {
        clients.member(i).getKVClient().get(RegisterWorkload.bytes("converged?"))
            .get(1, TimeUnit.SECONDS);
      } catch (Exception e) {
        return false;
      }
    }
    return true;
  }

  /** The revision member {@code index} serves linearizably now. */
  public long revision(int index) throws Exception {
    return clients.member(index).getKVClient().get(RegisterWorkload.bytes("revision?"))
        .get(5, TimeUnit.SECONDS).getHeader().getRevision();
  }

  public List<String> urls() {
    return clients.urls();
  }

  /** Stops the members, then removes the proxies and the namespaces (a namespace outlives nothing inside it). */
  @Override
  public void close() {
    try {
      clients.close();
    } finally {
      try {
        processes.close();
      } finally {
        peerProxies.forEach(DelayProxy::close);
        if (network != null) {
          network.close();
        }
      }
    }
  }
}
