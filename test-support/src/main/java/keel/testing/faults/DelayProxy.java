package keel.testing.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fault-injecting TCP proxy: listens on one address and forwards every connection to a target,
 * holding each chunk of bytes back by a delay (plus a random jitter) per direction. It stands in
 * for {@code tc netem}, which this machine's kernel lacks, as etcd's test framework has its own
 * proxy. Between Raft members: member i listens on its real peer port and advertises the proxy's
 * address, so every other member's traffic to i passes through it (both the requests and their
 * answers, which come back on the same connection).
 *
 * <ul>
 *   <li>Order within a connection is kept: a chunk never leaves before the one read before it, so
 *       a jitter larger than the gaps between chunks delays a burst rather than reordering it.
 *       Different connections get independent delays, the only reordering TCP allows.
 *   <li>{@link #delay} changes apply to bytes read from then on; bytes already held keep their
 *       due time, so removing a delay takes effect within the old delay.
 *   <li>{@link #dropConnections()} resets every open connection (peers see a reset, then redial);
 *       {@link #refuseConnections} resets new ones as they arrive, until turned off.
 * </ul>
 *
 * Plain threads: one acceptor, and per connection a reader and a writer per direction. At most
 * {@value #MAX_HELD_CHUNKS} chunks of up to {@value #CHUNK} bytes are held per direction; beyond
 * that the reader stops reading and TCP flow control pushes back on the sender.
 */
public final class DelayProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DelayProxy.class);
  private static final int CHUNK = 16 * 1024;
  private static final int MAX_HELD_CHUNKS = 1024;
  private static final byte[] END = new byte[0];

  /** The two directions of a proxied connection. */
  public enum Direction {
    /** From the side that connected to the proxy towards the target. */
    TO_TARGET,
    /** From the target back to the side that connected. */
    TO_CLIENT
  }

  /** Delay and jitter of one direction: each chunk waits {@code delay + uniform[0, jitter]}. */
  public record Delay(Duration delay, Duration jitter) {
    public static final Delay NONE = new Delay(Duration.ZERO, Duration.ZERO);

    public Delay {
      if (delay.isNegative() || jitter.isNegative()) {
        throw new IllegalArgumentException("delay and jitter must not be negative: " + delay + ", " + jitter);
      }
    }

    long sampleNanos() {
      long j = jitter.toNanos();
      return delay.toNanos() + (j == 0 ? 0 : ThreadLocalRandom.current().nextLong(j + 1));
    }
  }

  private final String name;
  private final InetSocketAddress target;
  private final UnaryOperator<InetAddress> dialFrom;
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private volatile Delay toTarget = Delay.NONE;
  private volatile Delay toClient = Delay.NONE;
  private volatile boolean refusing;
  private volatile boolean closed;

  private DelayProxy(String name, ServerSocket server, InetSocketAddress target, UnaryOperator<InetAddress> dialFrom) {
    this.name = name;
    this.server = server;
    this.target = target;
    this.dialFrom = dialFrom;
    this.acceptor = new Thread(this::acceptLoop, "keel-proxy-" + name + "-accept");
    this.acceptor.setDaemon(true);
  }

  /**
   * Starts a proxy listening on {@code listen} (port 0: a free one, see {@link #address()}) that
   * forwards to {@code target}, with no delay yet. {@code name} appears in thread names and logs.
   */
  public static DelayProxy start(String name, InetSocketAddress listen, InetSocketAddress target) {
    return start(name, listen, target, source -> null);
  }

  /**
   * As {@link #start(String, InetSocketAddress, InetSocketAddress)}, and dials the target from the
   * local address {@code dialFrom} names for each accepted connection's source address ({@code
   * null}: any), so the target sees who is behind the proxy (see {@link NetnsNetwork#relayFor}).
   */
  public static DelayProxy start(String name, InetSocketAddress listen, InetSocketAddress target,
      UnaryOperator<InetAddress> dialFrom) {
    ServerSocket server;
    try {
      server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(listen, 128);
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": cannot listen on " + listen + " (port taken?)", e);
    }
    DelayProxy proxy = new DelayProxy(name, server, target, dialFrom);
    proxy.acceptor.start();
    LOG.info("{}: proxy {} -> {}", name, proxy.address(), target);
    return proxy;
  }

  /** Where the proxy listens. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  public InetSocketAddress target() {
    return target;
  }

  /** The same delay, without jitter, in both directions ({@link Duration#ZERO} removes it). */
  public void delay(Duration delay) {
    delay(Direction.TO_TARGET, new Delay(delay, Duration.ZERO));
    delay(Direction.TO_CLIENT, new Delay(delay, Duration.ZERO));
  }

  /** Sets one direction's delay and jitter, for bytes read from now on. */
  public void delay(Direction direction, Delay delay) {
    switch (direction) {
      case TO_TARGET -> toTarget = delay;
      case TO_CLIENT -> toClient = delay;
    }
    LOG.info("{}: {} delay {} jitter {}", name, direction, delay.delay(), delay.jitter());
  }

  public Delay delay(Direction direction) {
    return switch (direction) {
      case TO_TARGET -> toTarget;
      case TO_CLIENT -> toClient;
    };
  }

  /** Resets every open connection (RST to both ends). New connections are accepted as before. */
  public void dropConnections() {
    List<Connection> open = new ArrayList<>(connections);
    open.forEach(Connection::reset);
    LOG.info("{}: dropped {} connections", name, open.size());
  }

  /** While on, every new connection is reset as soon as it is accepted (open ones are untouched). */
  public void refuseConnections(boolean refuse) {
    this.refusing = refuse;
  }

  /** Connections open now. */
  public int openConnections() {
    return connections.size();
  }

  /** Connections accepted since the start, refused ones included. */
  public long acceptedConnections() {
    return accepted.get();
  }

  /** Stops listening, resets every connection and waits for the proxy's threads to end. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("{}: closing the listener", name, e);
    }
    List<Connection> open = new ArrayList<>(connections);
    open.forEach(Connection::reset);
    join(acceptor);
    open.forEach(Connection::join);
    LOG.info("{}: proxy closed", name);
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("{}: accept failed, the proxy stops accepting", name, e);
        }
        return;
      }
      accepted.incrementAndGet();
      if (refusing || closed) {
        resetQuietly(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        InetAddress from = dialFrom.apply(client.getInetAddress());
        if (from != null) {
          upstream.bind(new InetSocketAddress(from, 0));
        }
        upstream.connect(target, 5000);
      } catch (IOException e) {
        // As an unreachable target would: the dialler sees its connection end.
        LOG.debug("{}: cannot reach {}", name, target, e);
        resetQuietly(client);
        resetQuietly(upstream);
        continue;
      }
      Connection connection = new Connection(accepted.get(), client, upstream);
      connections.add(connection);
      connection.start();
    }
  }

  /** One proxied connection: two pipes, each a reader thread and a writer thread. */
  private final class Connection {
    private final Socket client;
    private final Socket upstream;
    private final List<Thread> threads = new ArrayList<>();
    private int pipesDone;

    Connection(long number, Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
      pipe(number, client, upstream, Direction.TO_TARGET);
      pipe(number, upstream, client, Direction.TO_CLIENT);
    }

    private void pipe(long number, Socket from, Socket to, Direction direction) {
      BlockingQueue<Held> held = new ArrayBlockingQueue<>(MAX_HELD_CHUNKS);
      String prefix = "keel-proxy-" + name + "-" + number + "-" + direction.name().toLowerCase();
      threads.add(daemon(prefix + "-read", () -> read(from, held, direction)));
      threads.add(daemon(prefix + "-write", () -> write(held, to)));
    }

    void start() {
      threads.forEach(Thread::start);
    }

    /** Reads chunks and stamps each with its due time; never due before the previous one. */
    private void read(Socket from, BlockingQueue<Held> held, Direction direction) {
      long lastDue = 0;
      try {
        InputStream in = from.getInputStream();
        byte[] buffer = new byte[CHUNK];
        while (true) {
          int n = in.read(buffer);
          long due = Math.max(lastDue, System.nanoTime() + delay(direction).sampleNanos());
          lastDue = due;
          held.put(new Held(n < 0 ? END : Arrays.copyOf(buffer, n), due));
          if (n < 0) {
            return;
          }
        }
      } catch (IOException e) {
        reset(); // a reset or a closed socket: end both sides
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Sends each chunk at its due time; at the end of the stream half-closes the other side. */
    private void write(BlockingQueue<Held> held, Socket to) {
      try {
        OutputStream out = to.getOutputStream();
        while (true) {
          Held chunk = held.take();
          long wait;
          while ((wait = chunk.due() - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
            if (to.isClosed()) {
              return;
            }
          }
          if (chunk.bytes() == END) {
            to.shutdownOutput();
            pipeDone();
            return;
          }
          out.write(chunk.bytes());
          out.flush();
        }
      } catch (IOException e) {
        reset();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private synchronized void pipeDone() {
      if (++pipesDone == 2) {
        closeQuietly(client);
        closeQuietly(upstream);
        connections.remove(this);
      }
    }

    /** Resets both sockets and wakes this connection's threads, which then end. */
    void reset() {
      resetQuietly(client);
      resetQuietly(upstream);
      connections.remove(this);
      for (Thread thread : threads) {
        if (thread != Thread.currentThread()) {
          thread.interrupt();
        }
      }
    }

    void join() {
      threads.forEach(DelayProxy::join);
    }
  }

  private record Held(byte[] bytes, long due) {}

  private static Thread daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    return thread;
  }

  private static void join(Thread thread) {
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn("{} did not end within 10 s of close", thread.getName());
    }
  }

  /** Closes with SO_LINGER 0, so the peer sees a reset (as a dropped link would end it), not an orderly end. */
  private static void resetQuietly(Socket socket) {
    try {
      if (!socket.isClosed()) {
        socket.setSoLinger(true, 0);
      }
    } catch (SocketException e) {
      // closing anyway
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  @Override
  public String toString() {
    return name + "(" + address() + " -> " + target + ")";
  }
}
