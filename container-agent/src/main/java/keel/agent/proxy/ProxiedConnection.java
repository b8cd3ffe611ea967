package keel.agent.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of a {@link LeaderProxy}: routed, connected, then relayed by two threads.
 *
 * <p>Ends in one of three ways, whichever comes first (the {@code closed} flag decides):
 * <ul>
 *   <li>both directions reached end-of-stream: each half-closes its destination as it ends (so a
 *       client that shuts its output down still gets the whole answer), then both sockets close;</li>
 *   <li>an error, or the proxy closing: both sockets close;</li>
 *   <li>fenced: the route stopped being valid. Both sockets are reset (SO_LINGER 0), which also
 *       drops what is still queued for the client in the kernel.</li>
 * </ul>
 */
final class ProxiedConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ProxiedConnection.class);
  private static final int CHUNK = 16 * 1024;

  private final LeaderProxy proxy;
  private final long id;
  private final Socket client;
  private final String name;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger directionsDone = new AtomicInteger();
  private final AtomicLong bytesUp = new AtomicLong();
  private final AtomicLong bytesDown = new AtomicLong();
  private volatile Route route; // set once routed (by LeaderProxy.attach, under its lock)
  private volatile Socket backend;
  private volatile CompletableFuture<Optional<Route>> pending;
  private volatile Thread up;
  private volatile Thread down;

  ProxiedConnection(LeaderProxy proxy, long id, Socket client) {
    this.proxy = proxy;
    this.id = id;
    this.client = client;
    this.name = "keel-" + proxy.node() + "-proxy-" + id;
  }

  void startUp() {
    Thread t = daemon(name + "-up", this::runUp);
    up = t;
    t.start();
  }

  Route route() {
    return route;
  }

  void route(Route r) {
    route = r;
  }

  List<Thread> threads() {
    List<Thread> threads = new ArrayList<>(2);
    if (up != null) {
      threads.add(up);
    }
    if (down != null) {
      threads.add(down);
    }
    return threads;
  }

  /** Cuts the connection because its holder is no longer valid: both sides reset at once. */
  void fence(String reason) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    proxy.fenced();
    LOG.debug("{}: proxied connection {} from {} cut: {}", proxy.node(), id,
        client.getRemoteSocketAddress(), reason);
    reset(client);
    Socket b = backend;
    if (b != null) {
      reset(b);
    }
    finish();
  }

  /** Closes both sides (end of the relay, an error, or the proxy closing). */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeQuietly(client);
    Socket b = backend;
    if (b != null) {
      closeQuietly(b);
    }
    LOG.debug("{}: proxied connection {} from {} closed ({} bytes up, {} down)", proxy.node(), id,
        client.getRemoteSocketAddress(), bytesUp.get(), bytesDown.get());
    finish();
  }

  private void finish() {
    CompletableFuture<?> f = pending;
    if (f != null) {
      f.cancel(true);
    }
    proxy.closed(this);
  }

  private void runUp() {
    boolean relaying = false;
    try {
      Optional<Route> resolved = resolve();
      if (resolved.isEmpty()) {
        return;
      }
      Route r = resolved.get();
      Socket b = new Socket();
      backend = b;
      if (closed.get()) {
        closeQuietly(b);
        return;
      }
      try {
        b.connect(r.target(), (int) proxy.connectTimeout().toMillis());
      } catch (IOException e) {
        if (!closed.get()) {
          proxy.refused();
          proxy.warnRefusal("cannot connect to the gated process at " + r + ": " + e.getMessage());
        }
        return;
      }
      b.setTcpNoDelay(true);
      client.setTcpNoDelay(true);
      proxy.forwarded();
      LOG.debug("{}: proxied connection {} from {} to {}", proxy.node(), id,
          client.getRemoteSocketAddress(), r);
      relaying = true;
      Thread t = daemon(name + "-down", () -> runDown(r, b));
      down = t;
      t.start();
      pump(client.getInputStream(), b.getOutputStream(), bytesUp);
      b.shutdownOutput(); // the client is done sending; the answer may still come
      directionDone();
    } catch (IOException | RuntimeException e) {
      LOG.debug("{}: proxied connection {}: {}", proxy.node(), id, e.toString());
      close();
    } finally {
      if (!relaying) {
        close();
      }
    }
  }

  private void runDown(Route r, Socket b) {
    try {
      InputStream in = b.getInputStream();
      OutputStream out = client.getOutputStream();
      byte[] buffer = new byte[CHUNK];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        // The fence: nothing from a holder that may have been deposed reaches the client.
        if (closed.get()) {
          return;
        }
        if (!stillValid(r)) {
          fence("the holder " + r + " is no longer valid");
          return;
        }
        out.write(buffer, 0, n);
        bytesDown.addAndGet(n);
      }
      client.shutdownOutput();
      directionDone();
    } catch (IOException | RuntimeException e) {
      LOG.debug("{}: proxied connection {}: {}", proxy.node(), id, e.toString());
      close();
    }
  }

  private boolean stillValid(Route r) {
    try {
      return r.stillValid().getAsBoolean();
    } catch (RuntimeException e) {
      LOG.warn("{}: the validity check of route {} failed; cutting the connection", proxy.node(), r, e);
      return false;
    }
  }

  private void directionDone() {
    if (directionsDone.incrementAndGet() == 2) {
      close();
    }
  }

  /**
   * Resolves the route. A resolution that raced with a route change to another holder is tried
   * again, so a connection does not start on a holder the proxy already knows to be replaced.
   */
  private Optional<Route> resolve() {
    for (int attempt = 1; ; attempt++) {
      boolean last = attempt == LeaderProxy.resolveAttempts();
      long epoch = proxy.routeEpoch();
      Optional<Route> r;
      try {
        CompletableFuture<Optional<Route>> f = proxy.resolver().resolve();
        if (f == null) {
          throw new IllegalStateException("the route resolver returned no future");
        }
        pending = f;
        if (closed.get()) {
          f.cancel(true);
          return Optional.empty();
        }
        r = f.get(proxy.resolveTimeout().toNanos(), TimeUnit.NANOSECONDS);
        if (r == null) {
          r = Optional.empty();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      } catch (CancellationException e) {
        return Optional.empty(); // closed meanwhile
      } catch (TimeoutException e) {
        pending.cancel(true);
        refuse("the route was not resolved within " + proxy.resolveTimeout().toMillis() + " ms");
        return Optional.empty();
      } catch (ExecutionException | RuntimeException e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        refuse("the route could not be resolved: " + cause);
        return Optional.empty();
      } finally {
        pending = null;
      }
      if (r.isEmpty()) {
        if (proxy.routeEpoch() == epoch || last) {
          if (!closed.get()) {
            proxy.refused();
            LOG.debug("{}: proxied connection {} from {} closed: nobody holds the gate", proxy.node(),
                id, client.getRemoteSocketAddress());
          }
          return Optional.empty();
        }
        continue;
      }
      if (proxy.attach(this, r.get(), epoch, last)) {
        return closed.get() ? Optional.empty() : r;
      }
    }
  }

  private void refuse(String why) {
    if (!closed.get()) {
      proxy.refused();
      proxy.warnRefusal(why);
    }
  }

  private static void pump(InputStream in, OutputStream out, AtomicLong count) throws IOException {
    byte[] buffer = new byte[CHUNK];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      out.write(buffer, 0, n);
      count.addAndGet(n);
    }
  }

  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (IOException e) {
      // closed already
    }
    closeQuietly(s);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }
}
