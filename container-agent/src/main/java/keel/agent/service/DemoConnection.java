package keel.agent.service;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to the {@link DemoService}: HTTP/1.1 requests (keep-alive), each recorded just
 * before its answer is written; {@code GET /ws} turns it into a {@link WebSocketEcho}.
 */
final class DemoConnection {
  private static final Logger LOG = LoggerFactory.getLogger(DemoConnection.class);
  /** Idle time after which a keep-alive HTTP connection is closed (websockets have no limit). */
  private static final int HTTP_IDLE_MILLIS = 120_000;

  private final String node;
  private final ServiceRecord record;
  private final Socket s;

  DemoConnection(String node, ServiceRecord record, Socket s) {
    this.node = node;
    this.record = record;
    this.s = s;
  }

  /** Answers requests until the connection ends (or is upgraded to a websocket and that ends). */
  void serve() {
    try (s) {
      s.setSoTimeout(HTTP_IDLE_MILLIS);
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      while (true) {
        Optional<HttpRequestHead> request;
        try {
          request = HttpRequestHead.read(in);
        } catch (HttpRequestHead.BadRequest e) {
          respond(out, "-", e.status, "text/plain; charset=utf-8", e.getMessage() + "\n", Map.of(), false, true);
          return;
        }
        if (request.isEmpty()) {
          return;
        }
        HttpRequestHead r = request.get();
        if (!answer(in, out, r)) {
          return;
        }
      }
    } catch (SocketTimeoutException e) {
      LOG.debug("{}: demo connection idle for {} ms, closed", node, HTTP_IDLE_MILLIS);
    } catch (IOException e) {
      LOG.debug("{}: demo connection ended: {}", node, e.toString());
    }
  }

  /** Answers one request; false when the connection is done afterwards. */
  private boolean answer(InputStream in, OutputStream out, HttpRequestHead r) throws IOException {
    long body;
    try {
      body = r.contentLength();
    } catch (HttpRequestHead.BadRequest e) {
      respond(out, r.path(), e.status, "text/plain; charset=utf-8", e.getMessage() + "\n", Map.of(), false, true);
      return false;
    }
    in.skipNBytes(body);
    boolean head = r.method().equals("HEAD");
    if (!head && !r.method().equals("GET")) {
      return respond(out, r.path(), 405, "text/plain; charset=utf-8", "only GET and HEAD are served\n",
          Map.of("Allow", "GET, HEAD"), false, r.keepAlive());
    }
    return switch (r.path()) {
      case "/", "/index.html" -> respond(out, r.path(), 200, "text/html; charset=utf-8", page(),
          Map.of(), head, r.keepAlive());
      case "/ws" -> upgrade(in, out, r);
      default -> respond(out, r.path(), 404, "text/plain; charset=utf-8", "not found: " + r.path() + "\n",
          Map.of(), head, r.keepAlive());
    };
  }

  private boolean upgrade(InputStream in, OutputStream out, HttpRequestHead r) throws IOException {
    if (!r.headerHasToken("Upgrade", "websocket") || !r.headerHasToken("Connection", "upgrade")) {
      return respond(out, r.path(), 426, "text/plain; charset=utf-8",
          "this is a websocket echo: connect with a websocket client\n",
          Map.of("Upgrade", "websocket", "Connection", "Upgrade"), false, false);
    }
    if (!"13".equals(r.header("Sec-WebSocket-Version").orElse("").trim())) {
      return respond(out, r.path(), 426, "text/plain; charset=utf-8", "websocket version 13 only\n",
          Map.of("Sec-WebSocket-Version", "13"), false, false);
    }
    String key = r.header("Sec-WebSocket-Key").orElse("");
    if (!WebSocketEcho.validKey(key)) {
      return respond(out, r.path(), 400, "text/plain; charset=utf-8", "bad Sec-WebSocket-Key\n",
          Map.of(), false, false);
    }
    long nanos = System.nanoTime();
    if (!record.request(nanos, node, r.path())) {
      return false;
    }
    String response = "HTTP/1.1 101 Switching Protocols\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: " + WebSocketEcho.acceptFor(key) + "\r\n"
        + "X-Keel-Node: " + node + "\r\n"
        + "X-Keel-Served-Nanos: " + nanos + "\r\n\r\n";
    out.write(response.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    s.setSoTimeout(0); // a websocket may idle as long as it likes
    new WebSocketEcho(in, out).run();
    return false;
  }

  /**
   * Records the request and writes the answer; false when the connection is done afterwards. A
   * service that is stopping answers nothing (and records nothing).
   */
  private boolean respond(OutputStream out, String path, int status, String contentType, String body,
      Map<String, String> extraHeaders, boolean headOnly, boolean keepAlive) throws IOException {
    long nanos = System.nanoTime();
    if (!record.request(nanos, node, path)) {
      return false;
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", contentType);
    headers.put("Content-Length", Integer.toString(bytes.length));
    headers.put("Cache-Control", "no-store");
    headers.put("X-Keel-Node", node);
    headers.put("X-Keel-Served-Nanos", Long.toString(nanos));
    headers.putAll(extraHeaders);
    headers.putIfAbsent("Connection", keepAlive ? "keep-alive" : "close");
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!headOnly) {
      out.write(bytes);
    }
    out.flush();
    return keepAlive;
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 411 -> "Length Required";
      case 426 -> "Upgrade Required";
      case 431 -> "Request Header Fields Too Large";
      default -> "Status";
    };
  }

  private String page() {
    String n = escapeHtml(node);
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Keel demo service on " + n
        + "</title></head>\n<body>\n<h1>Keel demo service on " + n + "</h1>\n"
        + "<p>Keel demo service on " + n + ": Jupyter is not installed on this node, so the leader"
        + " gate runs this page instead. It runs on the current leader only; the proxy on port 8888"
        + " of every node forwards here.</p>\n"
        + "<p>Served by pid " + ProcessHandle.current().pid() + ".</p>\n"
        + "<p>WebSocket echo: <input id=\"m\" value=\"hello\"> <button id=\"b\">send</button>"
        + " <span id=\"r\"></span></p>\n"
        + "<script>\n"
        + "const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');\n"
        + "ws.onmessage = e => { document.getElementById('r').textContent = 'echo: ' + e.data; };\n"
        + "ws.onclose = () => { document.getElementById('r').textContent = 'closed (the leader moved?)'; };\n"
        + "document.getElementById('b').onclick = () => ws.send(document.getElementById('m').value);\n"
        + "</script>\n</body></html>\n";
  }

  private static String escapeHtml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
