package keel.agent.service;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The server side of a WebSocket (RFC 6455) after the handshake: echoes every text and binary
 * message, answers pings, and answers a close with a close. Messages may come fragmented; they are
 * echoed whole, in one frame.
 *
 * <p>Protocol errors close the connection with the status RFC 6455 section 7.4.1 names: 1002 for
 * an unmasked client frame, reserved bits, an unknown opcode or a bad fragment sequence; 1007 for
 * a text message that is not UTF-8; 1009 for a message above {@link #MAX_MESSAGE_BYTES}.
 */
final class WebSocketEcho {
  /** The GUID a server appends to the client's key (RFC 6455 section 1.3). */
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  static final int MAX_MESSAGE_BYTES = 1 << 20;

  static final int CONTINUATION = 0x0;
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;
  static final int PONG = 0xA;

  static final int PROTOCOL_ERROR = 1002;
  static final int INVALID_DATA = 1007;
  static final int TOO_BIG = 1009;

  private final InputStream in;
  private final OutputStream out;

  WebSocketEcho(InputStream in, OutputStream out) {
    this.in = in;
    this.out = out;
  }

  /** {@code Sec-WebSocket-Accept} for a client's {@code Sec-WebSocket-Key}. */
  static String acceptFor(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1")
          .digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  /** True when {@code key} is what RFC 6455 asks for: 16 bytes in base64. */
  static boolean validKey(String key) {
    try {
      return Base64.getDecoder().decode(key.trim()).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Echoes until the client closes or the connection ends. */
  void run() throws IOException {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    int messageOpcode = -1; // the opcode of a fragmented message in progress
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return; // the connection ended without a close frame
      }
      int b1 = readByte();
      boolean fin = (b0 & 0x80) != 0;
      int opcode = b0 & 0x0F;
      boolean masked = (b1 & 0x80) != 0;
      long length = b1 & 0x7F;
      if ((b0 & 0x70) != 0) {
        fail(PROTOCOL_ERROR, "reserved bits set");
        return;
      }
      if (!masked) {
        fail(PROTOCOL_ERROR, "client frames must be masked");
        return;
      }
      if (length == 126) {
        length = (readByte() << 8) | readByte();
      } else if (length == 127) {
        length = ByteBuffer.wrap(readExactly(8)).getLong();
      }
      boolean control = opcode >= 0x8;
      if (control && (!fin || length > 125)) {
        fail(PROTOCOL_ERROR, "control frames must be final and at most 125 bytes");
        return;
      }
      if (length < 0 || length + message.size() > MAX_MESSAGE_BYTES) {
        fail(TOO_BIG, "messages are limited to " + MAX_MESSAGE_BYTES + " bytes");
        return;
      }
      byte[] mask = readExactly(4);
      byte[] payload = readExactly((int) length);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i & 3];
      }
      switch (opcode) {
        case CONTINUATION, TEXT, BINARY -> {
          boolean continuation = opcode == CONTINUATION;
          if (continuation == (messageOpcode < 0)) {
            fail(PROTOCOL_ERROR, continuation ? "continuation without a message"
                : "new message inside a fragmented one");
            return;
          }
          if (!continuation) {
            messageOpcode = opcode;
          }
          message.write(payload);
          if (fin) {
            byte[] whole = message.toByteArray();
            message.reset();
            int echoed = messageOpcode;
            messageOpcode = -1;
            if (echoed == TEXT && !isUtf8(whole)) {
              fail(INVALID_DATA, "text message is not UTF-8");
              return;
            }
            send(echoed, whole);
          }
        }
        case PING -> send(PONG, payload);
        case PONG -> {
          // unsolicited pong: nothing to do
        }
        case CLOSE -> {
          // Echo the status code (not the reason) and end: the closing handshake of section 5.5.1.
          send(CLOSE, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
          return;
        }
        default -> {
          fail(PROTOCOL_ERROR, "unknown opcode " + opcode);
          return;
        }
      }
    }
  }

  private void fail(int status, String reason) throws IOException {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + Math.min(text.length, 123)];
    payload[0] = (byte) (status >> 8);
    payload[1] = (byte) status;
    System.arraycopy(text, 0, payload, 2, payload.length - 2);
    send(CLOSE, payload);
  }

  /** One unmasked, final frame, written with one call. */
  void send(int opcode, byte[] payload) throws IOException {
    int headerLength = payload.length < 126 ? 2 : payload.length <= 0xFFFF ? 4 : 10;
    ByteBuffer frame = ByteBuffer.allocate(headerLength + payload.length);
    frame.put((byte) (0x80 | opcode));
    if (payload.length < 126) {
      frame.put((byte) payload.length);
    } else if (payload.length <= 0xFFFF) {
      frame.put((byte) 126).putShort((short) payload.length);
    } else {
      frame.put((byte) 127).putLong(payload.length);
    }
    frame.put(payload);
    out.write(frame.array());
    out.flush();
  }

  private static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("the connection ended inside a websocket frame");
    }
    return b;
  }

  private byte[] readExactly(int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    if (bytes.length < n) {
      throw new EOFException("the connection ended inside a websocket frame");
    }
    return bytes;
  }
}
