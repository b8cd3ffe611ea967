package keel.agent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import keel.agent.gate.GatedProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DemoServiceTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final InetSocketAddress ANY_LOOPBACK_PORT =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  @TempDir
  Path dir;

  @Test
  void servesAPageNamingTheNodeWithItsHeadersAndRecordsIt() throws Exception {
    Path record = dir.resolve("record.log");
    long before;
    TinyHttp.Response page;
    long after;
    try (DemoService service = DemoService.start(ANY_LOOPBACK_PORT, "node3", Optional.of(record));
        Socket s = connect(service.address())) {
      before = System.nanoTime();
      page = TinyHttp.exchange(s, "GET", "/", "Connection: close\r\n");
      after = System.nanoTime();
    }

    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
    assertThat(page.body()).contains("Keel demo service on node3: Jupyter is not installed on this node");
    assertThat(page.header("X-Keel-Node")).isEqualTo("node3");
    long served = Long.parseLong(page.header("X-Keel-Served-Nanos"));
    assertThat(served).isBetween(before, after);

    List<String[]> lines = Files.readAllLines(record).stream().map(l -> l.split(" ")).toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).containsExactly("start", lines.get(0)[1],
        Long.toString(ProcessHandle.current().pid()), "node3");
    assertThat(lines.get(1)).containsExactly("req", Long.toString(served), "node3", "/");
    assertThat(lines.get(2)).containsExactly("stop", lines.get(2)[1], "node3");
    long start = Long.parseLong(lines.get(0)[1]);
    long stop = Long.parseLong(lines.get(2)[1]);
    assertThat(start).isLessThan(served);
    assertThat(stop).isGreaterThan(served);
  }

  @Test
  void answersSeveralRequestsOnOneConnectionIncludingErrors() throws Exception {
    Path record = dir.resolve("record.log");
    try (DemoService service = DemoService.start(ANY_LOOPBACK_PORT, "n1", Optional.of(record));
        Socket s = connect(service.address())) {
      assertThat(TinyHttp.exchange(s, "GET", "/", "").status()).isEqualTo(200);
      TinyHttp.Response missing = TinyHttp.exchange(s, "GET", "/nope?x=1", "");
      assertThat(missing.status()).isEqualTo(404);
      assertThat(missing.header("X-Keel-Node")).isEqualTo("n1");
      TinyHttp.Response head = TinyHttp.exchange(s, "HEAD", "/", "");
      assertThat(head.status()).isEqualTo(200);
      assertThat(Integer.parseInt(head.header("Content-Length"))).isPositive();
      TinyHttp.Response post = TinyHttp.exchange(s, "POST", "/", "Content-Length: 5\r\n", "hello");
      assertThat(post.status()).isEqualTo(405);
      assertThat(post.header("Allow")).isEqualTo("GET, HEAD");
      assertThat(TinyHttp.exchange(s, "GET", "/", "Connection: close\r\n").status()).isEqualTo(200);
      assertThat(s.getInputStream().read()).as("closed after Connection: close").isEqualTo(-1);
    }
    assertThat(Files.readAllLines(record)).filteredOn(l -> l.startsWith("req "))
        .extracting(l -> l.split(" ")[3]).containsExactly("/", "/nope", "/", "/", "/");
  }

  @Test
  void echoesWebSocketMessages() throws Exception {
    try (DemoService service = DemoService.start(ANY_LOOPBACK_PORT, "n1", Optional.empty());
        TinyWebSocketClient ws = TinyWebSocketClient.connect(service.address(), "dGhlIHNhbXBsZSBub25jZQ==")) {
      // The handshake of RFC 6455 section 1.3, whose accept value the RFC gives.
      assertThat(ws.handshake.status()).isEqualTo(101);
      assertThat(ws.handshake.header("Sec-WebSocket-Accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      assertThat(ws.handshake.header("Upgrade")).isEqualToIgnoringCase("websocket");
      assertThat(ws.handshake.header("X-Keel-Node")).isEqualTo("n1");

      ws.send(WebSocketEcho.TEXT, utf8("héllo"), true);
      assertFrame(ws.read(), WebSocketEcho.TEXT, utf8("héllo"));

      byte[] medium = bytes(300); // 16-bit length
      ws.send(WebSocketEcho.BINARY, medium, true);
      assertFrame(ws.read(), WebSocketEcho.BINARY, medium);
      byte[] large = bytes(70_000); // 64-bit length
      ws.send(WebSocketEcho.BINARY, large, true);
      assertFrame(ws.read(), WebSocketEcho.BINARY, large);

      ws.send(WebSocketEcho.TEXT, utf8("frag"), false);
      ws.send(WebSocketEcho.PING, utf8("are you there"), true); // control frames may interleave
      assertFrame(ws.read(), WebSocketEcho.PONG, utf8("are you there"));
      ws.send(WebSocketEcho.CONTINUATION, utf8("mented"), true);
      assertFrame(ws.read(), WebSocketEcho.TEXT, utf8("fragmented"));

      ws.send(WebSocketEcho.CLOSE, new byte[] {0x03, (byte) 0xE8, 'b', 'y', 'e'}, true); // 1000
      assertFrame(ws.read(), WebSocketEcho.CLOSE, new byte[] {0x03, (byte) 0xE8});
      assertThat(ws.atEnd()).isTrue();
    }
  }

  @Test
  void closesAWebSocketThatBreaksTheProtocol() throws Exception {
    try (DemoService service = DemoService.start(ANY_LOOPBACK_PORT, "n1", Optional.empty())) {
      try (TinyWebSocketClient ws = TinyWebSocketClient.connect(service.address(), "dGhlIHNhbXBsZSBub25jZQ==")) {
        ws.sendRaw(WebSocketEcho.TEXT, utf8("in the clear"), true, false);
        assertThat(closeStatus(ws.read())).isEqualTo(WebSocketEcho.PROTOCOL_ERROR);
        assertThat(ws.atEnd()).isTrue();
      }
      try (TinyWebSocketClient ws = TinyWebSocketClient.connect(service.address(), "dGhlIHNhbXBsZSBub25jZQ==")) {
        ws.send(WebSocketEcho.TEXT, new byte[] {(byte) 0xC3, (byte) 0x28}, true); // not UTF-8
        assertThat(closeStatus(ws.read())).isEqualTo(WebSocketEcho.INVALID_DATA);
      }
      try (Socket s = connect(service.address())) {
        TinyHttp.Response noUpgrade = TinyHttp.exchange(s, "GET", "/ws", "");
        assertThat(noUpgrade.status()).isEqualTo(426);
      }
    }
  }

  @Test
  void aPortInUseFailsStartWithTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> DemoService.start((InetSocketAddress) taken.getLocalSocketAddress(), "n1",
          Optional.empty()))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("the demo service of n1 cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  /**
   * As the agent runs it: its own process under a GatedProcess. SIGTERM (stop) records the stop; a
   * port that is taken ends the process with status 1 and a message naming the address.
   */
  @Test
  void asAGatedProcessItRecordsItsStopOnSigtermAndExitsNonZeroWhenItCannotBind() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    Path record = dir.resolve("record.log");
    List<String> command = DemoService.command("127.0.0.1:" + port, "n7", Optional.of(record));
    try (GatedProcess gated = new GatedProcess("n7", command, Map.of(), dir.resolve("demo.log"), Duration.ofSeconds(10))) {
      gated.start();
      await().atMost(WAIT).until(() -> Files.exists(record) && Files.readString(record).startsWith("start "));
      try (Socket s = connect(new InetSocketAddress("127.0.0.1", port))) {
        assertThat(TinyHttp.exchange(s, "GET", "/", "Connection: close\r\n").header("X-Keel-Node")).isEqualTo("n7");
      }

      try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        Process second = new ProcessBuilder(DemoService.command("127.0.0.1:" + taken.getLocalPort(), "n8",
            Optional.empty())).redirectErrorStream(true).start();
        try {
          String output = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          assertThat(second.waitFor(20, TimeUnit.SECONDS)).isTrue();
          assertThat(second.exitValue()).isEqualTo(1);
          assertThat(output).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        } finally {
          second.destroyForcibly();
        }
      }

      gated.stop();
    }
    List<String> lines = Files.readAllLines(record);
    assertThat(lines).extracting(l -> l.split(" ")[0]).containsExactly("start", "req", "stop");
    assertThat(lines.get(2)).endsWith(" n7");
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> DemoService.parseOptions(new String[] {"--node", "n1"}))
        .hasMessage("missing --listen");
    assertThatThrownBy(() -> DemoService.parseOptions(new String[] {"--listen", "x:1", "--node", "a b"}))
        .hasMessageContaining("--node must not contain spaces");
    assertThatThrownBy(() -> DemoService.parseHostPort("18888")).hasMessage("--listen wants host:port, got 18888");
    assertThat(DemoService.parseHostPort("127.0.0.3:18888")).isEqualTo(new InetSocketAddress("127.0.0.3", 18888));
    assertThat(DemoService.parseOptions(new String[] {"--listen=127.0.0.1:1", "--node", "n1", "--record", "/tmp/r"}))
        .containsEntry("--listen", "127.0.0.1:1").containsEntry("--record", "/tmp/r");
  }

  private static Socket connect(InetSocketAddress address) throws IOException {
    Socket s = new Socket();
    s.connect(address, 5000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static void assertFrame(TinyWebSocketClient.Frame frame, int opcode, byte[] payload) {
    assertThat(frame.fin()).isTrue();
    assertThat(frame.opcode()).isEqualTo(opcode);
    assertThat(frame.payload()).isEqualTo(payload);
  }

  private static int closeStatus(TinyWebSocketClient.Frame frame) {
    assertThat(frame.opcode()).isEqualTo(WebSocketEcho.CLOSE);
    return ((frame.payload()[0] & 0xFF) << 8) | (frame.payload()[1] & 0xFF);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    Arrays.setAll(new int[n], i -> b[i] = (byte) (i * 31));
    return b;
  }
}
