package keel.testing.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.testing.faults.DelayProxy.Delay;
import keel.testing.faults.DelayProxy.Direction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy against a local echo server: delay per direction, order, half-close, reset, close. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DelayProxyTest {
  private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  private ServerSocket echoServer;
  private Thread echo;
  private final List<Socket> echoSockets = new ArrayList<>();
  private DelayProxy proxy;

  @BeforeEach
  void startEcho() throws IOException {
    echoServer = new ServerSocket();
    echoServer.bind(ANY_LOOPBACK);
    echo = new Thread(this::echoLoop, "echo-server");
    echo.start();
    proxy = DelayProxy.start("test", ANY_LOOPBACK, (InetSocketAddress) echoServer.getLocalSocketAddress());
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    echoServer.close();
    synchronized (echoSockets) {
      for (Socket s : echoSockets) {
        s.close();
      }
    }
    echo.join(5000);
    assertThat(echo.isAlive()).isFalse();
    assertThat(Thread.getAllStackTraces().keySet())
        .as("proxy threads after close")
        .noneMatch(t -> t.getName().startsWith("keel-proxy-test-"));
  }

  /** Echoes one connection at a time, ending its output when the input ends. */
  private void echoLoop() {
    while (true) {
      try (Socket s = echoServer.accept()) {
        synchronized (echoSockets) {
          echoSockets.add(s);
        }
        s.getInputStream().transferTo(s.getOutputStream());
        s.shutdownOutput();
      } catch (IOException e) {
        if (echoServer.isClosed()) {
          return;
        }
      }
    }
  }

  @Test
  void forwardsBytesInOrderAndHalfCloses() throws IOException {
    proxy.delay(Direction.TO_TARGET, new Delay(Duration.ofMillis(5), Duration.ofMillis(20)));
    try (Socket s = connect()) {
      byte[] sent = new byte[200_000];
      for (int i = 0; i < sent.length; i++) {
        sent[i] = (byte) (i * 31 + (i >> 8));
      }
      Thread writer = new Thread(() -> {
        try {
          OutputStream out = s.getOutputStream();
          for (int off = 0; off < sent.length; off += 1000) {
            out.write(sent, off, 1000);
          }
          s.shutdownOutput();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      writer.start();
      byte[] received = s.getInputStream().readAllBytes(); // ends only when the half-close went round
      assertThat(received).isEqualTo(sent);
    }
  }

  @Test
  void delaysEachDirectionAndTheChangeTakesEffectWhileRunning() throws IOException {
    try (Socket s = connect()) {
      long fast = roundTripMillis(s);
      proxy.delay(Duration.ofMillis(200));
      long slow = roundTripMillis(s);
      proxy.delay(Direction.TO_CLIENT, Delay.NONE);
      long oneWay = roundTripMillis(s);
      proxy.delay(Duration.ZERO);
      long restored = roundTripMillis(s);

      // Lower bounds are exact; upper bounds leave 200 ms for a slow machine.
      assertThat(slow).as("round trip with 200 ms each way (was %d ms)", fast).isGreaterThanOrEqualTo(400);
      assertThat(oneWay).as("round trip with 200 ms one way").isBetween(200L, 399L);
      assertThat(restored).as("round trip without delay").isLessThan(200);
    }
  }

  @Test
  void dropConnectionsResetsOpenOnesAndRefusingResetsNewOnes() throws IOException {
    try (Socket s = connect()) {
      roundTripMillis(s);
      assertThat(proxy.openConnections()).isEqualTo(1);
      proxy.dropConnections();
      assertThatThrownBy(() -> {
        InputStream in = s.getInputStream();
        if (in.read() < 0) {
          throw new IOException("ended");
        }
      }).isInstanceOf(IOException.class);
    }
    proxy.refuseConnections(true);
    assertThatThrownBy(() -> {
      try (Socket s = connect()) { // the reset may come before connect() returns, or after
        roundTripMillis(s);
      }
    }).isInstanceOf(IOException.class);
    proxy.refuseConnections(false);
    try (Socket s = connect()) {
      assertThat(roundTripMillis(s)).isLessThan(1000);
    }
    assertThat(proxy.acceptedConnections()).isEqualTo(3);
  }

  @Test
  void dialsTheTargetFromTheAddressNamedForTheSource() throws IOException {
    InetAddress relay = InetAddress.getByName("127.0.0.7");
    InetAddress client = InetAddress.getLoopbackAddress();
    try (DelayProxy relaying = DelayProxy.start("test-relay", ANY_LOOPBACK,
        (InetSocketAddress) echoServer.getLocalSocketAddress(), source -> source.equals(client) ? relay : null);
        Socket s = new Socket()) {
      s.setSoTimeout(10_000);
      s.bind(new InetSocketAddress(client, 0));
      s.connect(relaying.address(), 5000);
      roundTripMillis(s);
      synchronized (echoSockets) {
        assertThat(echoSockets.get(echoSockets.size() - 1).getInetAddress()).isEqualTo(relay);
      }
    }
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(10_000);
    s.connect(proxy.address(), 5000);
    return s;
  }

  /** Sends one line and waits for its echo; the time it took. */
  private static long roundTripMillis(Socket s) throws IOException {
    byte[] line = "ping\n".getBytes(StandardCharsets.US_ASCII);
    long start = System.nanoTime();
    s.getOutputStream().write(line);
    s.getOutputStream().flush();
    byte[] back = s.getInputStream().readNBytes(line.length);
    if (back.length < line.length) {
      throw new IOException("connection ended after " + back.length + " bytes");
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }
}
