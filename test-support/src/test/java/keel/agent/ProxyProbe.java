package keel.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A client as a user's browser would be, reduced to what the scenario checks: one HTTP/1.1 GET
 * on a fresh connection (so each request is routed anew by the proxy), and a WebSocket echo
 * round trip (Jupyter's kernels talk over websockets, so the proxy must pass them through).
 */
final class ProxyProbe {
  /** One answered request: status, headers (lower-case names), when it was sent and received (System.nanoTime()). */
  record Response(int status, Map<String, String> headers, String body, long sentNanos, long receivedNanos) {
    String header(String name) {
      return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
    }
  }

  private ProxyProbe() {}

  static Response get(InetSocketAddress proxy, String path, int timeoutMillis) throws IOException {
    long sent = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.connect(proxy, timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + proxy.getHostString() + ":" + proxy.getPort()
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] all = socket.getInputStream().readAllBytes();
      long received = System.nanoTime();
      String text = new String(all, StandardCharsets.ISO_8859_1);
      int headEnd = text.indexOf("\r\n\r\n");
      if (headEnd < 0 || !text.startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response (" + all.length + " bytes)");
      }
      String[] lines = text.substring(0, headEnd).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
      }
      return new Response(status, headers, text.substring(headEnd + 4), sent, received);
    }
  }

  /** Opens a WebSocket on {@code path}, sends {@code message} as a text frame and returns the echoed text. */
  static String websocketEcho(InetSocketAddress proxy, String path, String message, int timeoutMillis)
      throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(proxy, timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      byte[] nonce = new byte[16];
      new SecureRandom().nextBytes(nonce);
      String key = Base64.getEncoder().encodeToString(nonce);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + proxy.getHostString() + "\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readHead(in);
      if (!head.startsWith("HTTP/1.1 101")) {
        throw new IOException("no websocket upgrade: " + head.lines().findFirst().orElse(""));
      }
      String expected = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
          .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
      if (!head.toLowerCase(Locale.ROOT).contains("sec-websocket-accept: " + expected.toLowerCase(Locale.ROOT))) {
        throw new IOException("wrong Sec-WebSocket-Accept in " + head);
      }
      byte[] payload = message.getBytes(StandardCharsets.UTF_8);
      if (payload.length > 125) {
        throw new IllegalArgumentException("keep probe messages under 126 bytes");
      }
      byte[] mask = new byte[4];
      new SecureRandom().nextBytes(mask);
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      frame.write(0x81); // FIN + text
      frame.write(0x80 | payload.length); // masked, as a client must
      frame.write(mask);
      for (int i = 0; i < payload.length; i++) {
        frame.write(payload[i] ^ mask[i % 4]);
      }
      out.write(frame.toByteArray());
      out.flush();
      int first = in.read();
      int second = in.read();
      if (first != 0x81 || (second & 0x80) != 0) {
        throw new IOException("unexpected frame header " + first + "/" + second);
      }
      int length = second & 0x7f;
      byte[] echoed = in.readNBytes(length);
      return new String(echoed, StandardCharsets.UTF_8);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the handshake");
      }
      head.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
          ? matched + 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }
}
