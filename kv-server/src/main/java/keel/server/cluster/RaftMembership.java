package keel.server.cluster;

import java.io.Closeable;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import keel.server.command.MemberRecord;
import keel.server.raft.RatisNode;
import keel.server.statemachine.Members;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Raft's configuration in step with the membership the log holds, on the leader.
 *
 * <p>etcd's MemberAdd, Remove, Update and Promote are entries of the log ({@link Members}), applied
 * alike everywhere and answered at once, as etcd answers once its ConfChange entry applied. Ratis
 * changes its configuration by joint consensus and first brings a new peer's log up to date, which
 * needs that peer running: so the leader follows the membership here, one Raft change at a time,
 * as soon as it can. Members leaving, moving and being promoted go first, peers joining after, so
 * an added member that never starts does not hold up a removal. A change Ratis refuses or times
 * out (the new peer not started yet, another change under way) is tried again on the next tick.
 *
 * <p>Until an added voting member has caught up it does not count towards quorum: a cluster is
 * never made unavailable by adding a member that has not started (etcd's would be, which is why
 * etcd refuses such an add when too few members are started; Keel refuses it alike).
 */
public final class RaftMembership implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftMembership.class);
  static final long TICK_MILLIS = 250;
  private static final int PROBE_MILLIS = 200;

  private final String member;
  private final RatisNode node;
  private final Supplier<Members> applied;
  private final ScheduledExecutorService executor;
  /** A configuration change is under way (executor thread only). */
  private boolean changing;

  public RaftMembership(String member, RatisNode node, Supplier<Members> applied) {
    this.member = member;
    this.node = node;
    this.applied = applied;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "keel-" + member + "-membership");
      thread.setDaemon(true);
      return thread;
    });
  }

  public void start() {
    executor.scheduleWithFixedDelay(this::syncQuietly, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** The membership changed: follow it now rather than at the next tick. */
  public void membersChanged() {
    try {
      executor.execute(this::syncQuietly);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // stopping
    }
  }

  private void syncQuietly() {
    try {
      sync();
    } catch (RuntimeException e) {
      LOG.debug("{}: following the membership failed, trying again: {}", member, e.toString());
    }
  }

  private void sync() {
    if (changing || !node.isLeader()) {
      return;
    }
    Members members = applied.get();
    if (!members.isBootstrapped()) {
      return;
    }
    Map<String, RaftPeer> voters = peers(members.list(), false);
    Map<String, RaftPeer> listeners = peers(members.list(), true);
    RaftConfiguration conf = node.configuration();
    Map<String, RaftPeer> currentVoters = byId(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
    Map<String, RaftPeer> currentListeners = byId(conf.getCurrentPeers(RaftPeerRole.LISTENER));
    if (same(voters, currentVoters) && same(listeners, currentListeners)) {
      return;
    }
    // First only what concerns peers Raft has already: removals, moves, promotions.
    Set<String> present = new java.util.HashSet<>(currentVoters.keySet());
    present.addAll(currentListeners.keySet());
    Map<String, RaftPeer> stepVoters = only(voters, present);
    Map<String, RaftPeer> stepListeners = only(listeners, present);
    if (same(stepVoters, currentVoters) && same(stepListeners, currentListeners)) {
      // Then the peers joining, those already listening only: Ratis would spend its staging
      // timeout (and hold every other change) on a member added but not started yet.
      stepVoters = reachableOrPresent(voters, present);
      stepListeners = reachableOrPresent(listeners, present);
      if (same(stepVoters, currentVoters) && same(stepListeners, currentListeners)) {
        return;
      }
    }
    if (stepVoters.isEmpty()) {
      return; // never a configuration without voters
    }
    List<RaftPeer> newVoters = List.copyOf(stepVoters.values());
    List<RaftPeer> newListeners = List.copyOf(stepListeners.values());
    changing = true;
    LOG.info("{}: changing the Raft configuration to voters {} and listeners {} (was {} and {})", member,
        newVoters, newListeners, currentVoters.values(), currentListeners.values());
    node.setConfiguration(newVoters, newListeners).whenComplete((done, error) -> {
      try {
        executor.execute(() -> {
          changing = false;
          if (error != null) {
            LOG.info("{}: Raft configuration change not made yet, trying again: {}", member, error.toString());
          } else {
            LOG.info("{}: Raft configuration is now voters {} and listeners {}", member, newVoters, newListeners);
            sync();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        // stopping
      }
    });
  }

  private static Map<String, RaftPeer> peers(List<MemberRecord> members, boolean learners) {
    return members.stream()
        .filter(m -> m.getLearner() == learners)
        .collect(Collectors.toMap(MemberRecord::getRaftPeer,
            MemberRecords::raftPeer, (a, b) -> a, java.util.TreeMap::new));
  }

  private static Map<String, RaftPeer> byId(Collection<RaftPeer> peers) {
    return peers.stream().collect(Collectors.toMap(p -> p.getId().toString(), Function.identity(), (a, b) -> a,
        java.util.TreeMap::new));
  }

  private static Map<String, RaftPeer> only(Map<String, RaftPeer> peers, Set<String> ids) {
    Map<String, RaftPeer> kept = new java.util.TreeMap<>(peers);
    kept.keySet().retainAll(ids);
    return kept;
  }

  private static Map<String, RaftPeer> reachableOrPresent(Map<String, RaftPeer> peers, Set<String> present) {
    Map<String, RaftPeer> kept = new java.util.TreeMap<>();
    peers.forEach((id, peer) -> {
      if (present.contains(id) || listening(peer.getAddress())) {
        kept.put(id, peer);
      }
    });
    return kept;
  }

  /** Whether something accepts connections at {@code host:port} (a member that has started). */
  public static boolean listening(String address) {
    int colon = address.lastIndexOf(':');
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress(address.substring(0, colon),
          Integer.parseInt(address.substring(colon + 1))), PROBE_MILLIS);
      return true;
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean same(Map<String, RaftPeer> a, Map<String, RaftPeer> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    return a.entrySet().stream().allMatch(e -> e.getValue().getAddress().equals(b.get(e.getKey()).getAddress()));
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
