package keel.agent.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The head of an HTTP/1.1 request (request line and headers), as much of HTTP as the demo service
 * needs.
 *
 * @param method e.g. {@code GET}
 * @param target the request target as sent, e.g. {@code /ws?x=1}
 * @param version e.g. {@code HTTP/1.1}
 * @param headers by case-insensitive name; repeated headers joined with ", "
 */
record HttpRequestHead(String method, String target, String version, Map<String, String> headers) {
  /** Request heads longer than this are refused (431). */
  static final int MAX_HEAD_BYTES = 16 * 1024;

  /** Thrown for a request that is not HTTP as we know it; the service answers 400 and closes. */
  static final class BadRequest extends IOException {
    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** The path part of the target, without the query; never contains a space. */
  String path() {
    int q = target.indexOf('?');
    return q < 0 ? target : target.substring(0, q);
  }

  Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name));
  }

  /** True when the comma-separated header {@code name} lists {@code token} (case-insensitive). */
  boolean headerHasToken(String name, String token) {
    return header(name).map(v -> {
      for (String part : v.split(",")) {
        if (part.trim().equalsIgnoreCase(token)) {
          return true;
        }
      }
      return false;
    }).orElse(false);
  }

  /** Whether the connection stays open after the answer (HTTP/1.1 unless "close"; 1.0 only if asked). */
  boolean keepAlive() {
    if (headerHasToken("Connection", "close")) {
      return false;
    }
    return "HTTP/1.1".equals(version) || headerHasToken("Connection", "keep-alive");
  }

  /** The declared body length (0 without one); chunked bodies are not supported. */
  long contentLength() throws BadRequest {
    if (header("Transfer-Encoding").isPresent()) {
      throw new BadRequest(411, "chunked request bodies are not supported; send Content-Length");
    }
    String v = header("Content-Length").orElse("0").trim();
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new BadRequest(400, "bad Content-Length: " + v);
    }
  }

  /**
   * Reads one request head; empty when the connection ends before a new request starts (the usual
   * end of a keep-alive connection).
   */
  static Optional<HttpRequestHead> read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream(512);
    int state = 0; // how much of CR LF CR LF has been seen
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) {
          return Optional.empty();
        }
        throw new BadRequest(400, "the connection ended inside a request head");
      }
      if (head.size() == 0 && (b == '\r' || b == '\n')) {
        continue; // tolerate blank lines between requests (RFC 9112 2.2)
      }
      head.write(b);
      if (head.size() > MAX_HEAD_BYTES) {
        throw new BadRequest(431, "request head longer than " + MAX_HEAD_BYTES + " bytes");
      }
      state = switch (b) {
        case '\r' -> state == 2 ? 3 : 1;
        case '\n' -> state == 1 ? 2 : state == 3 ? 4 : (state == 2 ? 4 : 2);
        default -> 0;
      };
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r?\n");
    String[] requestLine = lines[0].split(" ");
    if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/")) {
      throw new BadRequest(400, "not an HTTP request line: " + abbreviate(lines[0]));
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isEmpty()) {
        continue;
      }
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new BadRequest(400, "not a header line: " + abbreviate(lines[i]));
      }
      String name = lines[i].substring(0, colon).trim();
      String value = lines[i].substring(colon + 1).trim();
      headers.merge(name, value, (a, b) -> a + ", " + b);
    }
    return Optional.of(new HttpRequestHead(requestLine[0].toUpperCase(Locale.ROOT), requestLine[1],
        requestLine[2], headers));
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
