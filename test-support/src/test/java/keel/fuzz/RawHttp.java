package keel.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 as bytes on a socket, for requests no well-behaved client would send: a request line
 * with bad %-escapes, raw non-ASCII or invalid UTF-8 in the path, bodies with bad UTF-8, a 100 KB
 * header or a thousand of them. Every request says {@code Connection: close}; the answer is read
 * by its Content-Length or chunks (or to the end of the connection), each step bounded by a
 * short timeout, so a request the server holds open (a v2 watch) comes back as {@link
 * Answer#TIMED_OUT} instead of hanging the test.
 *
 * <p>The request is written on a thread of its own: a server that refuses a huge header answers
 * and closes while the client is still writing, and a blocked write must not stop the client from
 * reading that answer.
 */
final class RawHttp implements AutoCloseable {
  /** Answers longer than this are cut (nothing compared here is that long; /metrics is ~100 KB). */
  private static final int MAX_ANSWER = 8 << 20;

  /**
   * What came back.
   *
   * @param status the HTTP status; {@link #TIMED_OUT} if the server said nothing in time, {@link
   *     #CLOSED} if it closed the connection without a status line
   * @param headers by lower-case name, first value
   */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    static final int TIMED_OUT = -1;
    static final int CLOSED = 0;

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * "served" (1xx to 3xx), "refused" (4xx, or the connection closed without an answer: a server
     * that refuses a request it has not read to the end may reset the connection before its 4xx
     * arrives), "failed" (5xx) or "timed out".
     */
    String statusClass() {
      if (status == TIMED_OUT) {
        return "timed out";
      }
      if (status == CLOSED || status / 100 == 4) {
        return "refused";
      }
      return status / 100 == 5 ? "failed" : "served";
    }

    @Override
    public String toString() {
      String shown = text();
      return status + " " + headers + " " + (shown.length() > 300 ? shown.substring(0, 300) + "..." : shown);
    }
  }

  private final InetSocketAddress address;
  private final int timeoutMillis;
  private final ExecutorService writers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "raw-http-writer");
    t.setDaemon(true);
    return t;
  });

  RawHttp(URI endpoint, int timeoutMillis) {
    this.address = new InetSocketAddress(endpoint.getHost(), endpoint.getPort());
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * Sends {@code method target HTTP/1.1} with {@code headers} (name, value pairs, written as
   * given, after Host and Connection) and {@code body} (a Content-Length is added when the body is
   * not null), and reads the answer.
   */
  Answer send(String method, byte[] target, List<String[]> headers, byte[] body) throws IOException {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes((method + " ").getBytes(StandardCharsets.ISO_8859_1));
    request.writeBytes(target);
    request.writeBytes(" HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n".getBytes(StandardCharsets.ISO_8859_1));
    for (String[] header : headers) {
      request.writeBytes((header[0] + ": " + header[1] + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
    if (body != null) {
      request.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
    request.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      request.writeBytes(body);
    }
    return exchange(request.toByteArray(), method.equals("HEAD"));
  }

  private Answer exchange(byte[] request, boolean head) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(address, timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      Future<?> writing = writers.submit(() -> {
        try {
          socket.getOutputStream().write(request);
          socket.getOutputStream().flush();
        } catch (IOException refusedMidway) {
          // the server answered (and closed) before taking the whole request: read what it said
        }
        return null;
      });
      try {
        return read(socket.getInputStream(), head);
      } finally {
        writing.cancel(true);
        socket.close(); // unblocks a writer stuck on a full send buffer
        try {
          writing.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
          // cancelled, or the write failed: either way it is over
        }
      }
    }
  }

  private static Answer read(InputStream in, boolean head) throws IOException {
    String statusLine;
    try {
      statusLine = line(in);
    } catch (SocketTimeoutException e) {
      return new Answer(Answer.TIMED_OUT, Map.of(), new byte[0]);
    } catch (IOException reset) {
      return new Answer(Answer.CLOSED, Map.of(), new byte[0]);
    }
    if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
      return new Answer(Answer.CLOSED, Map.of(), new byte[0]);
    }
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
    }
    if (head || status == 204 || status == 304 || status / 100 == 1) {
      return new Answer(status, headers, new byte[0]);
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        for (String size = line(in); size != null; size = line(in)) {
          int length = Integer.parseInt(size.split(";", 2)[0].trim(), 16);
          if (length == 0) {
            break;
          }
          body.writeBytes(in.readNBytes(length));
          line(in);
          if (body.size() > MAX_ANSWER) {
            break;
          }
        }
      } else if (headers.containsKey("content-length")) {
        body.writeBytes(in.readNBytes((int) Math.min(MAX_ANSWER, Long.parseLong(headers.get("content-length")))));
      } else {
        body.writeBytes(in.readNBytes(MAX_ANSWER));
      }
    } catch (SocketTimeoutException e) {
      // a streamed answer still open (a v2 watch that got its headers): what came is the answer
      headers.put("x-fuzz-body", "timed out");
    } catch (IOException e) {
      headers.put("x-fuzz-body", "cut off");
    }
    return new Answer(status, headers, body.toByteArray());
  }

  /** One line without its CRLF (or LF); null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); ; b = in.read()) {
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
  }

  @Override
  public void close() {
    writers.shutdownNow();
  }
}
