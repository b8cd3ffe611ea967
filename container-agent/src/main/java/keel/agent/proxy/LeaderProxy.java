package keel.agent.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service port on every node: a plain TCP relay to wherever the gated process runs now.
 * Websockets and anything else over TCP pass through untouched.
 *
 * <p>Per accepted connection: resolve the route (the agent reads the election linearizably),
 * connect to its target, relay both ways. No route, a failed or slow resolution, or an unreachable
 * target: the client connection is closed (counted as refused).
 *
 * <p>The fence for clients: before each chunk from the holder is written to the client, the
 * route's {@link Route#stillValid()} is checked; false cuts both sides at once, with a reset, so
 * that not even bytes still queued in the kernel reach the client. {@link #routeChanged} cuts every
 * connection to another holder the same way. A connection whose resolution raced with a route
 * change resolves again, so it cannot start on a holder that was already replaced.
 *
 * <p>Threads (daemon): {@code keel-<node>-proxy-accept}, and two per connection,
 * {@code keel-<node>-proxy-<id>-up} (resolve, connect, client to holder) and {@code -down}
 * (holder to client). Blocking I/O is simple and fits the load (a few Jupyter users).
 * Lock order: {@code lock}, then a connection's own state.
 */
public final class LeaderProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderProxy.class);
  public static final Duration DEFAULT_RESOLVE_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Two threads each: beyond this many open connections, new ones are closed at once. */
  static final int MAX_CONNECTIONS = 1024;
  /** Resolutions that raced with a route change are retried this often, then the last one is used. */
  private static final int RESOLVE_ATTEMPTS = 3;

  private final String node;
  private final InetSocketAddress listen;
  private final RouteResolver resolver;
  private final Duration resolveTimeout;
  private final Duration connectTimeout;

  private final Object lock = new Object();
  private final Set<ProxiedConnection> connections = new LinkedHashSet<>(); // guarded by lock
  private long routeEpoch; // guarded by lock: counts routeChanged calls
  private Optional<Route> announced = Optional.empty(); // guarded by lock: the last routeChanged
  private boolean closed; // guarded by lock
  private ServerSocket server; // guarded by lock
  private Thread acceptThread; // guarded by lock

  private final AtomicLong nextId = new AtomicLong();
  private final AtomicLong forwarded = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong fenced = new AtomicLong();
  private final AtomicLong lastRefusalWarning = new AtomicLong();
  private static final long REFUSAL_WARNING_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();

  /** A proxy with the default timeouts (5 s to resolve a route, 5 s to connect to it). */
  public LeaderProxy(String node, InetSocketAddress listen, RouteResolver resolver) {
    this(node, listen, resolver, DEFAULT_RESOLVE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT);
  }

  public LeaderProxy(String node, InetSocketAddress listen, RouteResolver resolver,
      Duration resolveTimeout, Duration connectTimeout) {
    this.node = node;
    this.listen = listen;
    this.resolver = resolver;
    this.resolveTimeout = resolveTimeout;
    this.connectTimeout = connectTimeout;
  }

  /** Binds and starts accepting; an IOException names the address that could not be bound. */
  public void start() throws IOException {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException(node + ": the leader proxy is closed; create a new one");
      }
      if (server != null) {
        throw new IllegalStateException(node + ": the leader proxy is started already");
      }
      ServerSocket s = new ServerSocket();
      try {
        s.setReuseAddress(true);
        s.bind(listen, 128);
      } catch (IOException e) {
        s.close();
        throw new IOException(node + ": the leader proxy cannot listen on " + hostPort(listen)
            + ": " + e.getMessage()
            + " (is another process using that port, or is the address not on this host?)", e);
      }
      server = s;
      Thread t = new Thread(() -> acceptLoop(s), "keel-" + node + "-proxy-accept");
      t.setDaemon(true);
      acceptThread = t;
      t.start();
    }
    LOG.info("{}: leader proxy listening on {}", node, hostPort(boundAddress()));
  }

  /**
   * The holder changed (from the agent's watch of the election): every open connection to another
   * holder is cut at once; connections to this one stay.
   */
  public void routeChanged(Optional<Route> route) {
    List<ProxiedConnection> cut = new ArrayList<>();
    synchronized (lock) {
      routeEpoch++;
      announced = route;
      for (ProxiedConnection c : connections) {
        Route r = c.route();
        if (r != null && (route.isEmpty() || !r.sameHolder(route.get()))) {
          cut.add(c);
        }
      }
    }
    String reason = "the gate moved to " + route.map(Route::toString).orElse("nobody");
    for (ProxiedConnection c : cut) {
      c.fence(reason);
    }
    if (!cut.isEmpty()) {
      LOG.info("{}: {}: cut {} proxied connections to the previous holder", node, reason, cut.size());
    }
  }

  /** Connections accepted and not closed yet (including ones still being routed). */
  public int openConnections() {
    synchronized (lock) {
      return connections.size();
    }
  }

  /** Connections that reached their target and were relayed. */
  public long forwardedConnections() {
    return forwarded.get();
  }

  /** Connections closed without a target: no route, resolution failed or timed out, target unreachable. */
  public long refusedConnections() {
    return refused.get();
  }

  /** Connections cut because their holder was no longer valid (stillValid false, or a route change). */
  public long fencedConnections() {
    return fenced.get();
  }

  /** Where the proxy listens (the actual port when it was asked for port 0). */
  public InetSocketAddress boundAddress() {
    synchronized (lock) {
      if (server == null) {
        throw new IllegalStateException(node + ": the leader proxy is not started");
      }
      return (InetSocketAddress) server.getLocalSocketAddress();
    }
  }

  /** Stops listening, closes every connection and waits (bounded) for the proxy's threads. */
  @Override
  public void close() {
    ServerSocket s;
    Thread accept;
    List<ProxiedConnection> open;
    synchronized (lock) {
      closed = true;
      s = server;
      accept = acceptThread;
      open = new ArrayList<>(connections);
    }
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        LOG.debug("{}: closing the proxy's server socket: {}", node, e.toString());
      }
    }
    open.forEach(ProxiedConnection::close);
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    join(accept, deadline);
    for (ProxiedConnection c : open) {
      c.threads().forEach(t -> join(t, deadline));
    }
    LOG.info("{}: leader proxy closed ({} forwarded, {} refused, {} fenced)", node, forwarded.get(),
        refused.get(), fenced.get());
  }

  /** {@code ip:port} (the address as a literal when known, so messages say what was bound). */
  static String hostPort(InetSocketAddress a) {
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  private static void join(Thread t, long deadlineNanos) {
    if (t == null || t == Thread.currentThread()) {
      return;
    }
    try {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        t.join(Math.max(1, left / 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptLoop(ServerSocket s) {
    while (true) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        if (!s.isClosed()) {
          LOG.error("{}: the leader proxy stopped accepting on {}: {}", node, listen, e.toString());
        }
        return;
      }
      ProxiedConnection c = new ProxiedConnection(this, nextId.incrementAndGet(), client);
      synchronized (lock) {
        if (closed) {
          c.close();
          return;
        }
        if (connections.size() >= MAX_CONNECTIONS) {
          refused.incrementAndGet();
          warnRefusal(MAX_CONNECTIONS + " connections are open already");
          c.close();
          continue;
        }
        connections.add(c);
      }
      c.startUp();
    }
  }

  // ---- called by ProxiedConnection ----

  String node() {
    return node;
  }

  Duration resolveTimeout() {
    return resolveTimeout;
  }

  Duration connectTimeout() {
    return connectTimeout;
  }

  RouteResolver resolver() {
    return resolver;
  }

  long routeEpoch() {
    synchronized (lock) {
      return routeEpoch;
    }
  }

  /**
   * Gives connection {@code c} the route it resolved, unless the route changed since the resolution
   * began ({@code epoch}) to another holder: then false, and the caller resolves again. After
   * {@link #RESOLVE_ATTEMPTS} ({@code lastAttempt}) the resolution wins: the watch may lag behind a
   * linearizable read, and a later {@link #routeChanged} still cuts the connection if need be.
   */
  boolean attach(ProxiedConnection c, Route route, long epoch, boolean lastAttempt) {
    synchronized (lock) {
      if (closed || !connections.contains(c)) {
        return true; // closing anyway; the caller notices the closed sockets
      }
      boolean current = routeEpoch == epoch
          || (announced.isPresent() && announced.get().sameHolder(route));
      if (current || lastAttempt) {
        c.route(route);
        return true;
      }
      return false;
    }
  }

  static int resolveAttempts() {
    return RESOLVE_ATTEMPTS;
  }

  void forwarded() {
    forwarded.incrementAndGet();
  }

  void refused() {
    refused.incrementAndGet();
  }

  void fenced() {
    fenced.incrementAndGet();
  }

  void closed(ProxiedConnection c) {
    synchronized (lock) {
      connections.remove(c);
    }
  }

  /**
   * A connection was refused for a reason an operator should see (resolution failed, target
   * unreachable): WARN at most every 10 s, DEBUG otherwise, so a broken route does not flood the log.
   */
  void warnRefusal(String why) {
    long now = System.nanoTime();
    long last = lastRefusalWarning.get();
    if ((last == 0 || now - last >= REFUSAL_WARNING_INTERVAL_NANOS)
        && lastRefusalWarning.compareAndSet(last, now == 0 ? 1 : now)) {
      LOG.warn("{}: proxy refused a connection: {} ({} refused so far)", node, why, refused.get());
    } else {
      LOG.debug("{}: proxy refused a connection: {}", node, why);
    }
  }
}
