package keel.agent.service;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Random;

/** A minimal RFC 6455 client for tests: masked frames out, frames in, no extensions. */
final class TinyWebSocketClient implements AutoCloseable {
  record Frame(boolean fin, int opcode, byte[] payload) {
  }

  final Socket socket;
  final TinyHttp.Response handshake;
  private final InputStream in;
  private final OutputStream out;
  private final Random random = new Random(42);

  private TinyWebSocketClient(Socket socket, InputStream in, TinyHttp.Response handshake) throws IOException {
    this.socket = socket;
    this.in = in;
    this.out = socket.getOutputStream();
    this.handshake = handshake;
  }

  /** Connects and sends the upgrade request with {@code key}; check {@link #handshake} for the answer. */
  static TinyWebSocketClient connect(InetSocketAddress address, String key) throws IOException {
    Socket s = new Socket();
    s.connect(address, 5000);
    s.setSoTimeout(10_000);
    InputStream in = new BufferedInputStream(s.getInputStream());
    String request = "GET /ws HTTP/1.1\r\nHost: keel\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    TinyHttp.Response response = TinyHttp.read(in, false).orElseThrow();
    return new TinyWebSocketClient(s, in, response);
  }

  void send(int opcode, byte[] payload, boolean fin) throws IOException {
    sendRaw(opcode, payload, fin, true);
  }

  /** As a client must not: {@code masked} false sends the payload in the clear. */
  void sendRaw(int opcode, byte[] payload, boolean fin, boolean masked) throws IOException {
    ByteBuffer frame = ByteBuffer.allocate(14 + payload.length);
    frame.put((byte) ((fin ? 0x80 : 0) | opcode));
    int maskBit = masked ? 0x80 : 0;
    if (payload.length < 126) {
      frame.put((byte) (maskBit | payload.length));
    } else if (payload.length <= 0xFFFF) {
      frame.put((byte) (maskBit | 126)).putShort((short) payload.length);
    } else {
      frame.put((byte) (maskBit | 127)).putLong(payload.length);
    }
    byte[] mask = new byte[4];
    random.nextBytes(mask);
    if (masked) {
      frame.put(mask);
    }
    for (int i = 0; i < payload.length; i++) {
      frame.put(masked ? (byte) (payload[i] ^ mask[i & 3]) : payload[i]);
    }
    out.write(frame.array(), 0, frame.position());
    out.flush();
  }

  Frame read() throws IOException {
    int b0 = readByte();
    int b1 = readByte();
    if ((b1 & 0x80) != 0) {
      throw new IOException("the server masked a frame");
    }
    long length = b1 & 0x7F;
    if (length == 126) {
      length = (readByte() << 8) | readByte();
    } else if (length == 127) {
      length = ByteBuffer.wrap(in.readNBytes(8)).getLong();
    }
    byte[] payload = in.readNBytes((int) length);
    if (payload.length < length) {
      throw new IOException("end of stream inside a frame");
    }
    return new Frame((b0 & 0x80) != 0, b0 & 0x0F, payload);
  }

  /** True when the server closed the connection (the next read is the end of the stream). */
  boolean atEnd() throws IOException {
    return in.read() == -1;
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new IOException("end of stream");
    }
    return b;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
