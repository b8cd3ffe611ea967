package keel.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeaderProxyTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  /** Closed after each test, last opened first. */
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  @Test
  void relaysAnHttpRequestToTheTarget() throws Exception {
    HttpServer http = HttpServer.create(ANY_LOOPBACK_PORT, 0);
    http.createContext("/", exchange -> {
      byte[] body = ("hello from the holder, you asked for " + exchange.getRequestURI()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("X-Backend", "b1");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    http.start();
    resources.add(() -> http.stop(0));
    Route route = new Route(http.getAddress(), 1, () -> true);
    LeaderProxy proxy = started(() -> CompletableFuture.completedFuture(Optional.of(route)));

    try (Socket s = connect(proxy)) {
      s.getOutputStream().write(("GET /tree?x=1 HTTP/1.1\r\nHost: keel\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(response).startsWith("HTTP/1.1 200").contains("X-backend: b1")
          .endsWith("hello from the holder, you asked for /tree?x=1");
    }
    await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
    assertThat(proxy.forwardedConnections()).isEqualTo(1);
  }

  @Test
  void relaysALongLivedStreamBothWaysAndPassesTheClientsHalfClose() throws Exception {
    TaggedEchoServer echo = resource(new TaggedEchoServer("a"));
    LeaderProxy proxy = started(fixed(new Route(echo.address(), 1, () -> true)));

    try (LineClient c = new LineClient(connect(proxy))) {
      for (int i = 0; i < 20; i++) {
        c.send("message " + i);
        assertThat(c.readLine()).isEqualTo("a:message " + i);
      }
      assertThat(proxy.openConnections()).isEqualTo(1);
      c.socket.shutdownOutput(); // the client is done; the answer to that still arrives
      assertThat(c.readLine()).isEqualTo("a:bye");
      assertThat(c.readLine()).isNull();
    }
    await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
  }

  @Test
  void aRouteChangeCutsConnectionsToTheOldHolderAndNewOnesGoToTheNewOne() throws Exception {
    TaggedEchoServer a = resource(new TaggedEchoServer("a"));
    TaggedEchoServer b = resource(new TaggedEchoServer("b"));
    AtomicReference<Route> current = new AtomicReference<>(new Route(a.address(), 10, () -> true));
    LeaderProxy proxy = started(() -> CompletableFuture.completedFuture(Optional.of(current.get())));

    LineClient toA = resource(new LineClient(connect(proxy)));
    toA.send("x");
    assertThat(toA.readLine()).isEqualTo("a:x");
    // The same holder announced again (another validity check, same token and target): kept.
    proxy.routeChanged(Optional.of(new Route(a.address(), 10, () -> true)));
    toA.send("y");
    assertThat(toA.readLine()).isEqualTo("a:y");

    current.set(new Route(b.address(), 11, () -> true));
    proxy.routeChanged(Optional.of(current.get()));

    assertThat(toA.readUntilCut()).isEmpty();
    assertThat(proxy.fencedConnections()).isEqualTo(1);
    LineClient toB = resource(new LineClient(connect(proxy)));
    toB.send("z");
    assertThat(toB.readLine()).isEqualTo("b:z");

    proxy.routeChanged(Optional.empty()); // nobody holds the gate: every connection goes
    assertThat(toB.readUntilCut()).isEmpty();
    assertThat(proxy.fencedConnections()).isEqualTo(2);
    await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
  }

  @Test
  void anInvalidRouteIsCutBeforeTheNextChunkReachesTheClient() throws Exception {
    ServerSocket backend = resource(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    backend.setSoTimeout((int) WAIT.toMillis());
    AtomicBoolean valid = new AtomicBoolean(true);
    LeaderProxy proxy = started(fixed(new Route((InetSocketAddress) backend.getLocalSocketAddress(), 7, valid::get)));

    LineClient client = resource(new LineClient(connect(proxy)));
    Socket holder = resource(backend.accept());
    holder.setSoTimeout((int) WAIT.toMillis());
    holder.getOutputStream().write("one\n".getBytes(StandardCharsets.UTF_8));
    assertThat(client.readLine()).isEqualTo("one");

    valid.set(false); // the holder may be deposed from now on
    holder.getOutputStream().write("two\n".getBytes(StandardCharsets.UTF_8));

    assertThat(client.readUntilCut()).as("nothing after the fence").isEmpty();
    assertThat(proxy.fencedConnections()).isEqualTo(1);
    assertThat(isCut(holder)).as("the holder's side is reset too").isTrue();
    await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
  }

  @Test
  void noRouteAFailedOrSlowResolutionOrAnUnreachableTargetCloseTheConnection() throws Exception {
    InetSocketAddress nobodyListens;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      nobodyListens = (InetSocketAddress) s.getLocalSocketAddress();
    }
    BlockingQueue<CompletableFuture<Optional<Route>>> answers = new LinkedBlockingQueue<>(List.of(
        CompletableFuture.completedFuture(Optional.empty()),
        CompletableFuture.failedFuture(new IllegalStateException("etcdserver: no leader")),
        new CompletableFuture<>(), // never answers
        CompletableFuture.completedFuture(Optional.of(new Route(nobodyListens, 3, () -> true)))));
    LeaderProxy proxy = resource(new LeaderProxy("n1", ANY_LOOPBACK_PORT, answers::remove,
        Duration.ofMillis(300), Duration.ofSeconds(2)));
    proxy.start();

    for (int i = 1; i <= 4; i++) {
      try (LineClient c = new LineClient(connect(proxy))) {
        assertThat(c.readUntilCut()).isEmpty();
      }
      int refused = i;
      await().atMost(WAIT).until(() -> proxy.refusedConnections() == refused);
    }
    assertThat(proxy.forwardedConnections()).isZero();
    await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
  }

  @Test
  void aResolutionThatRacedWithARouteChangeIsResolvedAgain() throws Exception {
    TaggedEchoServer a = resource(new TaggedEchoServer("a"));
    TaggedEchoServer b = resource(new TaggedEchoServer("b"));
    Route toA = new Route(a.address(), 10, () -> true);
    Route toB = new Route(b.address(), 11, () -> true);
    CompletableFuture<Optional<Route>> slowRead = new CompletableFuture<>();
    BlockingQueue<CompletableFuture<Optional<Route>>> answers = new LinkedBlockingQueue<>(List.of(
        slowRead, CompletableFuture.completedFuture(Optional.of(toB))));
    LeaderProxy proxy = started(answers::remove);

    LineClient c = resource(new LineClient(connect(proxy)));
    await().atMost(WAIT).until(() -> answers.size() == 1); // the first read is under way
    proxy.routeChanged(Optional.of(toB));
    slowRead.complete(Optional.of(toA)); // a read that saw the state before the change

    c.send("x");
    assertThat(c.readLine()).isEqualTo("b:x");
  }

  @Test
  void closeFreesThePortAndEndsItsConnections() throws Exception {
    TaggedEchoServer echo = resource(new TaggedEchoServer("a"));
    LeaderProxy proxy = new LeaderProxy("n1", ANY_LOOPBACK_PORT, fixed(new Route(echo.address(), 1, () -> true)));
    proxy.start();
    InetSocketAddress bound = proxy.boundAddress();
    LineClient c = resource(new LineClient(connect(proxy)));
    c.send("x");
    assertThat(c.readLine()).isEqualTo("a:x");

    proxy.close();

    assertThat(c.readUntilCut()).isEmpty();
    assertThat(proxy.openConnections()).isZero();
    try (ServerSocket again = new ServerSocket()) {
      again.bind(bound);
      assertThat(again.getLocalPort()).isEqualTo(bound.getPort());
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("keel-n1-proxy-"));
  }

  @Test
  void aPortInUseFailsStartWithTheAddress() throws Exception {
    ServerSocket taken = resource(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    LeaderProxy proxy = resource(new LeaderProxy("n1", (InetSocketAddress) taken.getLocalSocketAddress(),
        fixed(null)));

    assertThatThrownBy(proxy::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("n1: the leader proxy cannot listen on 127.0.0.1:" + taken.getLocalPort());
  }

  private LeaderProxy started(RouteResolver resolver) throws IOException {
    LeaderProxy proxy = resource(new LeaderProxy("n1", ANY_LOOPBACK_PORT, resolver));
    proxy.start();
    return proxy;
  }

  /** True when the peer closed or reset the socket (a read ends instead of timing out). */
  private static boolean isCut(Socket s) throws IOException {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketException e) {
      return e.getMessage().contains("reset");
    }
  }

  private static RouteResolver fixed(Route route) {
    return () -> CompletableFuture.completedFuture(Optional.ofNullable(route));
  }

  private <T extends AutoCloseable> T resource(T r) {
    resources.add(r);
    return r;
  }

  private static Socket connect(LeaderProxy proxy) throws IOException {
    Socket s = new Socket();
    s.connect(proxy.boundAddress(), 5000);
    s.setSoTimeout((int) WAIT.toMillis());
    return s;
  }

  /** A line-oriented client on a socket with a read timeout. */
  private static final class LineClient implements AutoCloseable {
    final Socket socket;
    final BufferedReader in;

    LineClient(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    void send(String line) throws IOException {
      socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    }

    String readLine() throws IOException {
      return in.readLine();
    }

    /** Reads until the proxy ends the connection (end of stream or reset); returns what came first. */
    List<String> readUntilCut() throws IOException {
      List<String> got = new ArrayList<>();
      try {
        String line;
        while ((line = in.readLine()) != null) {
          got.add(line);
        }
      } catch (SocketException e) {
        // reset: the fence
      }
      return got;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
