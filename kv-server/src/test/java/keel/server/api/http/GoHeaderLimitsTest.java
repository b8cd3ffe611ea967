package keel.server.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request heads that etcd (Go's net/http, 1 MiB + 4 KiB) serves and Armeria's defaults (4 KiB
 * request line, 8 KiB of headers) refused: found by HttpFuzzIT with one 100 KB header on
 * {@code GET /version} (etcd 200, Keel 431) and a 5000-byte v2 key segment (etcd 200, Keel 414).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GoHeaderLimitsTest {
  private Server server;

  @BeforeEach
  void start() {
    server = GoHeaderLimits.apply(Server.builder())
        .port(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), SessionProtocol.HTTP)
        .service("prefix:/", (ctx, req) -> HttpResponse.of(HttpStatus.OK))
        .build();
    server.start().join();
  }

  @AfterEach
  void stop() {
    server.stop().join();
  }

  @Test
  void aHundredKilobyteHeaderIsServed() throws IOException {
    assertThat(status("GET /version HTTP/1.1\r\nHost: x\r\nX-Fuzz: " + "v".repeat(100_000) + "\r\n")).isEqualTo(200);
  }

  @Test
  void aThousandHeadersAreServed() throws IOException {
    StringBuilder head = new StringBuilder("GET /version HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 1000; i++) {
      head.append("X-Fuzz-").append(i).append(": ").append("v".repeat(100)).append("\r\n");
    }
    assertThat(status(head.toString())).isEqualTo(200);
  }

  @Test
  void aLongPathIsServed() throws IOException {
    assertThat(status("GET /v2/keys/" + "x".repeat(50_000) + " HTTP/1.1\r\nHost: x\r\n")).isEqualTo(200);
  }

  @Test
  void twoMegabytesOfHeadersAreRefusedAsGoRefusesThem() throws IOException {
    assertThat(status("GET /version HTTP/1.1\r\nHost: x\r\nX-Fuzz: " + "v".repeat(2_000_000) + "\r\n")).isEqualTo(431);
  }

  /** Sends {@code head} (without its final empty line) and reads the status of the answer. */
  private int status(String head) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.activeLocalPort()), 5_000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException refusedWhileWriting) {
        // the server may answer and close before it has read everything: its answer is still there
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
        line.write(b);
      }
      return Integer.parseInt(line.toString(StandardCharsets.US_ASCII).split(" ")[1]);
    }
  }
}
