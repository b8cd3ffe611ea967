package keel.agent.proxy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import keel.agent.NodeRecord;
import keel.client.election.LeaderElection;
import keel.client.election.LeaderInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the proxy sends a connection: the current holder of the election, by a linearizable read
 * for each new connection and by watching the election for changes.
 *
 * <p>The fence for clients is {@link Route#stillValid()}, checked before every chunk the holder
 * sends back. A route is valid while (1) no newer holder has been observed: tokens (the leader
 * key's create revision) only grow, and once holder T is gone every token up to T is dead; (2)
 * this node's own view is fresh: its session was confirmed by the cluster recently (a node that
 * was paused does not relay on what it knew before the pause); and (3) when the holder is this
 * node, its gate still holds a confirmed leadership.
 */
public final class ElectionRoutes implements RouteResolver, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ElectionRoutes.class);

  private final String node;
  private final Client client;
  private final ByteSequence electionName;
  private final BooleanSupplier localLeadershipValid;
  private final LongSupplier viewFreshUntilNanos;
  /** Tokens below this belong to holders known to be gone. Only grows. */
  private final AtomicLong minValidToken = new AtomicLong();
  private volatile Optional<LeaderInfo> observed = Optional.empty();
  private AutoCloseable observation;

  /**
   * @param localLeadershipValid whether this node's own gate still leads (for a route to itself)
   * @param viewFreshUntilNanos System.nanoTime() until which this node's view is fresh (its session's alive-until)
   */
  public ElectionRoutes(String node, Client client, ByteSequence electionName,
      BooleanSupplier localLeadershipValid, LongSupplier viewFreshUntilNanos) {
    this.node = node;
    this.client = client;
    this.electionName = electionName;
    this.localLeadershipValid = localLeadershipValid;
    this.viewFreshUntilNanos = viewFreshUntilNanos;
  }

  /**
   * Watches the election; each change goes to the proxy's {@code routeChanged} (which closes connections
   * to the old holder) and to {@code alsoNotify} (the hosts table's service alias).
   */
  public void start(Optional<LeaderProxy> proxy, Consumer<Optional<LeaderInfo>> alsoNotify, Executor executor) {
    observation = LeaderElection.observe(client, electionName, info -> {
      Optional<LeaderInfo> previous = observed;
      observed = info;
      if (info.isPresent()) {
        minValidToken.accumulateAndGet(info.get().createRevision(), Math::max);
      } else if (previous.isPresent()) {
        minValidToken.accumulateAndGet(previous.get().createRevision() + 1, Math::max);
      }
      LOG.info("{}: the gated process's holder is now {}", node,
          info.map(i -> holderName(i) + " (token " + i.createRevision() + ")").orElse("nobody"));
      Optional<Route> route = info.flatMap(this::route);
      proxy.ifPresent(p -> p.routeChanged(route));
      alsoNotify.accept(info);
    }, executor);
  }

  /** The holder's node name, from its election value. */
  public static String holderName(LeaderInfo info) {
    return NodeRecord.parse(info.value()).get("node").orElse("?");
  }

  public Optional<LeaderInfo> observed() {
    return observed;
  }

  @Override
  public CompletableFuture<Optional<Route>> resolve() {
    return LeaderElection.leader(client, electionName).thenApply(info -> {
      info.ifPresent(i -> minValidToken.accumulateAndGet(i.createRevision(), Math::max));
      return info.flatMap(this::route);
    });
  }

  private Optional<Route> route(LeaderInfo info) {
    NodeRecord record = NodeRecord.parse(info.value());
    Optional<String> service = record.get("service");
    if (service.isEmpty()) {
      return Optional.empty();
    }
    String hostPort = service.get();
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    InetSocketAddress target = new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
    long token = info.createRevision();
    boolean local = node.equals(record.get("node").orElse(null));
    return Optional.of(new Route(target, token, () -> valid(token, local)));
  }

  private boolean valid(long token, boolean local) {
    return token >= minValidToken.get()
        && System.nanoTime() - viewFreshUntilNanos.getAsLong() < 0
        && (!local || localLeadershipValid.getAsBoolean());
  }

  @Override
  public void close() throws Exception {
    if (observation != null) {
      observation.close();
    }
  }
}
