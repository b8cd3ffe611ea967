package keel.agent.service;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in gated process where Jupyter is not installed: a small web page naming the node that
 * serves it, and a WebSocket echo on {@code /ws}, so that the leader gate and the proxies can be
 * tried (and checked) on any machine. Plain JDK: a {@link ServerSocket}, a thread per connection.
 *
 * <p>Run as its own process by the agent:
 * {@code java -cp <classpath> keel.agent.service.DemoService --listen <host:port> --node <name>
 * [--record <file>]} ({@link #command} builds that argv). In tests, {@link #start} runs it in-process.
 *
 * <ul>
 *   <li>{@code GET /}: 200 text/html, headers {@code X-Keel-Node} and {@code X-Keel-Served-Nanos}
 *       (the {@link System#nanoTime()} at which the answer was written), also on every other answer;</li>
 *   <li>{@code GET /ws} with a WebSocket upgrade: 101, then {@link WebSocketEcho};</li>
 *   <li>anything else: 404, or 405 for methods other than GET and HEAD.</li>
 * </ul>
 * With {@code --record}, it appends the {@link ServiceRecord} lines (start, req per answer, stop on
 * SIGTERM) for the at-most-one-holder safety checker.
 */
public final class DemoService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DemoService.class);
  private static final String USAGE =
      "usage: DemoService --listen <host:port> --node <name> [--record <file>]";

  private final String node;
  private final ServerSocket server;
  private final ServiceRecord record;
  private final Thread acceptThread;
  private final Set<Socket> connections = new LinkedHashSet<>(); // guarded by itself
  private final AtomicLong nextConnection = new AtomicLong();
  private final CountDownLatch closed = new CountDownLatch(1);
  private boolean closing; // guarded by connections

  private DemoService(String node, ServerSocket server, ServiceRecord record) {
    this.node = node;
    this.server = server;
    this.record = record;
    this.acceptThread = new Thread(this::acceptLoop, "keel-" + node + "-demo-accept");
    acceptThread.setDaemon(true);
  }

  /**
   * Listens on {@code listen} and serves until {@link #close()}. An IOException names the address
   * it could not bind, or the record file it could not open.
   */
  public static DemoService start(InetSocketAddress listen, String node, Optional<Path> recordFile)
      throws IOException {
    ServerSocket server = new ServerSocket();
    try {
      server.setReuseAddress(true);
      server.bind(listen, 64);
    } catch (IOException e) {
      server.close();
      String host = listen.getAddress() != null ? listen.getAddress().getHostAddress() : listen.getHostString();
      throw new IOException("the demo service of " + node + " cannot listen on " + host + ":"
          + listen.getPort() + ": " + e.getMessage()
          + " (is another process using that port, or is the address not on this host?)", e);
    }
    ServiceRecord record;
    try {
      record = recordFile.isPresent() ? ServiceRecord.appendTo(recordFile.get()) : ServiceRecord.none();
    } catch (IOException e) {
      server.close();
      throw new IOException("the demo service of " + node + " cannot append to its record "
          + recordFile.get() + ": " + e.getMessage(), e);
    }
    DemoService service = new DemoService(node, server, record);
    record.start(node);
    service.acceptThread.start();
    InetSocketAddress bound = service.address();
    LOG.info("{}: demo service listening on {}:{}", node, bound.getAddress().getHostAddress(), bound.getPort());
    return service;
  }

  /** The argv that runs the demo service as a process of its own, on this JVM's java and class path. */
  public static List<String> command(String listenHostPort, String node, Optional<Path> recordFile) {
    List<String> argv = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        DemoService.class.getName(), "--listen", listenHostPort, "--node", node));
    recordFile.ifPresent(f -> argv.addAll(List.of("--record", f.toString())));
    return argv;
  }

  public static void main(String[] args) {
    Map<String, String> options;
    InetSocketAddress listen;
    try {
      options = parseOptions(args);
      listen = parseHostPort(options.get("--listen"));
    } catch (IllegalArgumentException e) {
      System.err.println("DemoService: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    String node = options.get("--node");
    DemoService service;
    try {
      service = start(listen, node, Optional.ofNullable(options.get("--record")).map(Path::of));
    } catch (IOException e) {
      System.err.println("DemoService: " + e.getMessage());
      System.exit(1);
      return;
    }
    // SIGTERM runs the hook: it stops answering, then records the stop.
    Runtime.getRuntime().addShutdownHook(new Thread(service::close, "keel-" + node + "-demo-stop"));
    service.awaitClosed();
  }

  /** Where it listens (the actual port when started on port 0). */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  /** Blocks until {@link #close()} has completed. */
  public void awaitClosed() {
    boolean interrupted = false;
    while (true) {
      try {
        closed.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops answering (no request is recorded or answered from here on), closes every connection,
   * then writes the stop line. Idempotent.
   */
  @Override
  public void close() {
    List<Socket> open;
    synchronized (connections) {
      if (closing) {
        awaitClosed();
        return;
      }
      closing = true;
      open = new ArrayList<>(connections);
    }
    record.stopping();
    closeQuietly(server);
    open.forEach(DemoService::closeQuietly);
    try {
      acceptThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    record.stop(node);
    record.close();
    LOG.info("{}: demo service stopped", node);
    closed.countDown();
  }

  private void acceptLoop() {
    while (true) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!server.isClosed()) {
          LOG.error("{}: the demo service stopped accepting: {}", node, e.toString());
        }
        return;
      }
      synchronized (connections) {
        if (closing) {
          closeQuietly(s);
          return;
        }
        connections.add(s);
      }
      Thread t = new Thread(() -> {
        try {
          new DemoConnection(node, record, s).serve();
        } finally {
          synchronized (connections) {
            connections.remove(s);
          }
        }
      }, "keel-" + node + "-demo-" + nextConnection.incrementAndGet());
      t.setDaemon(true);
      t.start();
    }
  }

  static Map<String, String> parseOptions(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      String value;
      int eq = name.indexOf('=');
      if (name.startsWith("--") && eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("option " + name + " needs a value");
      }
      if (!List.of("--listen", "--node", "--record").contains(name)) {
        throw new IllegalArgumentException("unknown option " + name);
      }
      options.put(name, value);
    }
    for (String required : List.of("--listen", "--node")) {
      if (!options.containsKey(required) || options.get(required).isBlank()) {
        throw new IllegalArgumentException("missing " + required);
      }
    }
    if (options.get("--node").chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("--node must not contain spaces (it goes into HTTP headers and the record)");
    }
    return options;
  }

  static InetSocketAddress parseHostPort(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("--listen wants host:port, got " + hostPort);
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--listen wants host:port, got " + hostPort);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--listen port out of range: " + port);
    }
    return new InetSocketAddress(host, port);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }
}
