package keel.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Raw bytes on a 3-member in-process Keel's client port and peer port, truncated HTTP/1.1 bodies,
 * and slow-loris connections: every member keeps serving (a put and a get afterwards), no file
 * descriptor or thread is left behind once the connections are gone, and the cluster keeps its
 * leader and its revision.
 */
class SocketFuzzIT {
  private static FuzzTarget keel;
  private FuzzTarget.Resources before;
  private long revision;

  @BeforeContainer
  static void start() throws Exception {
    keel = FuzzTarget.start(3, b -> b.enableV2(true));
  }

  @AfterContainer
  static void stop() {
    if (keel != null) {
      keel.close();
    }
  }

  @BeforeProperty
  void measure() {
    before = FuzzTarget.resources();
    revision = keel.revision();
  }

  @AfterProperty
  void stillServesAndLeaksNothing() {
    assertThat(keel.revision()).as("garbage on the ports changed the store").isEqualTo(revision);
    FuzzTarget.assertNoLeak(before, "this property's connections");
    keel.assertServes();
  }

  @Property(tries = 60)
  void randomBytesOnTheClientPort(@ForAll("garbage") byte[] bytes, @ForAll("members") int member) throws Exception {
    sendAndClose(clientPort(member), bytes);
  }

  @Property(tries = 60)
  void randomBytesOnThePeerPort(@ForAll("garbage") byte[] bytes, @ForAll("members") int member) throws Exception {
    sendAndClose(peerPort(member), bytes);
  }

  /** Content-Length larger than what is sent, then the connection closes. */
  @Property(tries = 40)
  void truncatedHttpBodies(@ForAll("paths") String path, @ForAll("members") int member) throws Exception {
    String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + "Content-Length: 100000\r\n\r\n";
    sendAndClose(clientPort(member), (head + "value=abc&prevExist=false&{\"key\":\"").getBytes(StandardCharsets.UTF_8));
  }

  /** 64 connections that each send a byte now and then never finish a request; others are served meanwhile. */
  @Example
  void slowLorisDoesNotStopOtherClients() throws Exception {
    List<Socket> loris = new ArrayList<>();
    try {
      for (int i = 0; i < 64; i++) {
        Socket socket = new Socket();
        socket.connect(clientPort(i % 3), 5_000);
        loris.add(socket);
      }
      byte[] head = "POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      for (int round = 0; round < head.length; round++) {
        for (Socket socket : loris) {
          try {
            socket.getOutputStream().write(head[round]);
          } catch (IOException closedByServer) {
            // a server may drop a slow client: allowed, as long as the others are served
          }
        }
        if (round % 10 == 0) {
          long start = System.nanoTime();
          keel.assertServes();
          assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
              .as("a put and a get while %d slow connections are open", loris.size()).isLessThan(5_000);
        }
      }
      revision = keel.revision(); // the puts above were this test's own
      assertThat(revision).isGreaterThan(0);
    } finally {
      for (Socket socket : loris) {
        socket.close();
      }
    }
  }

  private static void sendAndClose(InetSocketAddress address, byte[] bytes) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(address, 5_000);
      socket.setSoTimeout(200);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(bytes);
        out.flush();
        InputStream in = socket.getInputStream();
        in.read(new byte[4096]); // whatever the server says first, if anything
      } catch (SocketTimeoutException | java.net.SocketException serverClosedOrSilent) {
        // both are fine: the server may close a connection that speaks garbage, or wait for more
      }
    }
  }

  @Provide
  Arbitrary<byte[]> garbage() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(4096);
    // an HTTP/2 preface followed by garbage frames reaches deeper than random bytes alone
    byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    Arbitrary<byte[]> afterPreface = random.map(tail -> {
      byte[] both = java.util.Arrays.copyOf(preface, preface.length + tail.length);
      System.arraycopy(tail, 0, both, preface.length, tail.length);
      return both;
    });
    return Arbitraries.oneOf(random, afterPreface);
  }

  @Provide
  Arbitrary<Integer> members() {
    return Arbitraries.integers().between(0, 2);
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.of("/v2/keys/fuzz/a", "/v3/kv/put", "/v3/kv/range", "/v3/watch", "/v3/lease/keepalive",
        "/v2/members", "/health", "/version", "/metrics", "/etcdserverpb.KV/Put");
  }

  private static InetSocketAddress clientPort(int member) {
    URI url = keel.cluster().clientEndpoints().get(member);
    return new InetSocketAddress(url.getHost(), url.getPort());
  }

  private static InetSocketAddress peerPort(int member) {
    URI url = keel.cluster().config(member).peerUrls().get(0);
    return new InetSocketAddress(url.getHost(), url.getPort());
  }
}
