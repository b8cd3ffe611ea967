package keel.agent.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Just enough of an HTTP/1.1 client for the demo service's tests: one exchange on a given socket. */
final class TinyHttp {
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  private TinyHttp() {
  }

  static Response exchange(Socket s, String method, String path, String extraHeaders) throws IOException {
    return exchange(s, method, path, extraHeaders, "");
  }

  /** Sends the request (with {@code body} after the head, as is) and reads the answer. */
  static Response exchange(Socket s, String method, String path, String extraHeaders, String body)
      throws IOException {
    String request = method + " " + path + " HTTP/1.1\r\nHost: keel\r\n" + extraHeaders + "\r\n" + body;
    s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    return read(s.getInputStream(), !method.equals("HEAD")).orElseThrow(
        () -> new IOException("the server closed the connection without an answer"));
  }

  /** Reads the status line and headers; the body by Content-Length when {@code withBody}. */
  static Optional<Response> read(InputStream in, boolean withBody) throws IOException {
    Optional<String> head = readHead(in);
    if (head.isEmpty()) {
      return Optional.empty();
    }
    String[] lines = head.get().split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
    }
    String body = "";
    if (withBody && headers.containsKey("Content-Length")) {
      body = new String(in.readNBytes(Integer.parseInt(headers.get("Content-Length"))), StandardCharsets.UTF_8);
    }
    return Optional.of(new Response(status, headers, body));
  }

  /** The head up to (without) the blank line; empty at end of stream before any byte. */
  static Optional<String> readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) {
          return Optional.empty();
        }
        throw new IOException("end of stream inside a response head");
      }
      head.write(b);
      String sofar = head.toString(StandardCharsets.ISO_8859_1);
      if (sofar.endsWith("\r\n\r\n")) {
        return Optional.of(sofar.substring(0, sofar.length() - 4));
      }
    }
  }
}
