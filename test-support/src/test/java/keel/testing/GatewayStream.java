package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One streaming call of the /v3 JSON gateway (watch, lease keep-alive, election observe) over
 * HTTP/1.1: the answer's lines as they come, read on a thread of its own, and {@link #close()}
 * to drop the connection, the way a client that goes away does.
 *
 * <p>{@link #open} sends a whole body with java.net.http. {@link #openChunked} speaks HTTP/1.1 on
 * a plain socket instead, because java.net.http sends the whole request body before it reads the
 * answer: only that way can a test write watch requests into a body that stays open while the
 * answer streams.
 */
final class GatewayStream implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(20);
  /** Marks the end of the answer in {@link #lines} (compared by identity). */
  private static final String END = new String("end of the answer");

  private final ExecutorService reader = Executors.newSingleThreadExecutor();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final AutoCloseable connection;
  private final OutputStream body;
  private final int status;
  private final Map<String, String> headers;

  private GatewayStream(AutoCloseable connection, OutputStream body, int status, Map<String, String> headers) {
    this.connection = connection;
    this.body = body;
    this.status = status;
    this.headers = headers;
  }

  /** POSTs {@code requests} as the whole body; returns once the answer's headers arrived. */
  static GatewayStream open(URI endpoint, String path, String requests) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<InputStream> response = client.sendAsync(HttpRequest.newBuilder(endpoint.resolve(path))
            .POST(HttpRequest.BodyPublishers.ofString(requests)).build(), HttpResponse.BodyHandlers.ofInputStream())
        .get(Deadlines.scaled(WAIT).toMillis(), TimeUnit.MILLISECONDS);
    Map<String, String> headers = new LinkedHashMap<>();
    response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
    InputStream answer = response.body();
    GatewayStream stream = new GatewayStream(answer, null, response.statusCode(), headers);
    stream.reader.execute(() -> stream.readLines(answer));
    return stream;
  }

  /**
   * POSTs a chunked body that starts with {@code requests} and stays open for {@link #send} and
   * {@link #endBody}; returns once the answer's status line and headers arrived.
   */
  static GatewayStream openChunked(URI endpoint, String path, String requests) throws Exception {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 5_000);
      socket.setSoTimeout((int) Deadlines.scaled(WAIT).toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: " + endpoint.getHost() + ":" + endpoint.getPort()
          + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      writeChunk(out, requests);
      InputStream in = socket.getInputStream();
      String statusLine = readLine(in);
      assertThat(statusLine).startsWith("HTTP/1.1 ");
      Map<String, String> headers = new LinkedHashMap<>();
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
      assertThat(headers.get("transfer-encoding")).as("a streamed answer").isEqualTo("chunked");
      socket.setSoTimeout(0); // the reader thread waits as long as the stream lives; close() ends it
      GatewayStream stream = new GatewayStream(socket, out, Integer.parseInt(statusLine.substring(9, 12)), headers);
      stream.reader.execute(() -> stream.readLines(new ChunkedInput(in)));
      return stream;
    } catch (Exception | Error e) {
      socket.close();
      throw e;
    }
  }

  int status() {
    return status;
  }

  Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
  }

  /** Writes more of the request body (chunked streams only). */
  void send(String requests) throws IOException {
    writeChunk(body, requests);
  }

  /** Ends the request body (chunked streams only); the answer may go on. */
  void endBody() throws IOException {
    body.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    body.flush();
  }

  /** The next line of the answer, waited for with a deadline. */
  String next() throws InterruptedException {
    String line = lines.poll(Deadlines.scaled(WAIT).toMillis(), TimeUnit.MILLISECONDS);
    assertThat(line).as("a line of the answer within " + WAIT).isNotNull().isNotSameAs(END);
    return line;
  }

  /** Waits for the server to end the answer, and requires that no line came before the end. */
  void awaitEnd() throws InterruptedException {
    String line = lines.poll(Deadlines.scaled(WAIT).toMillis(), TimeUnit.MILLISECONDS);
    assertThat(line).as("the end of the answer").isSameAs(END);
  }

  /** Drops the connection before the answer's end, then waits for the reader thread. */
  @Override
  public void close() throws Exception {
    connection.close();
    reader.shutdownNow();
    assertThat(reader.awaitTermination(10, TimeUnit.SECONDS)).as("the stream's reader ended").isTrue();
  }

  private void readLines(InputStream answer) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(answer, StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      // the connection was closed by close()
    } finally {
      lines.add(END);
    }
  }

  private static void writeChunk(OutputStream out, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** One CRLF-terminated line of the answer's head. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("the answer ended inside its head");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  /** The payload of a chunked answer, chunk after chunk, ending at the last (empty) chunk. */
  private static final class ChunkedInput extends InputStream {
    private final InputStream in;
    private int left;
    private boolean done;

    ChunkedInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (done) {
        return -1;
      }
      if (left == 0) {
        String size = readLine(in);
        int semicolon = size.indexOf(';');
        left = Integer.parseInt(semicolon < 0 ? size.trim() : size.substring(0, semicolon).trim(), 16);
        if (left == 0) {
          done = true;
          return -1;
        }
      }
      int read = in.read(buffer, offset, Math.min(length, left));
      if (read < 0) {
        throw new IOException("the answer ended inside a chunk");
      }
      left -= read;
      if (left == 0) {
        readLine(in); // the CRLF after the chunk
      }
      return read;
    }
  }
}
