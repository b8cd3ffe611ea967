package keel.server.api.http.gateway;

import java.io.ByteArrayOutputStream;

/**
 * Go's {@code base64.StdEncoding.Decode}, which {@code encoding/json} uses for a {@code []byte}
 * field: padding required, {@code \r} and {@code \n} skipped anywhere, and on bad input the error
 * {@code illegal base64 data at input byte N} with Go's N. etcd's gateway answers with that text,
 * so the position has to be Go's, quantum by quantum as Go reads it:
 *
 * <pre>
 *   "Zm9v"    -> foo
 *   "Zm9"     -> byte 0  (an incomplete last quantum is reported at its start)
 *   "Zm9v=="  -> byte 4  (padding where a quantum starts)
 *   "Zm 9v"   -> byte 2  (the bad character itself)
 * </pre>
 */
final class GoBase64 {
  private static final int[] DECODE = new int[256];

  static {
    java.util.Arrays.fill(DECODE, -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < alphabet.length(); i++) {
      DECODE[alphabet.charAt(i)] = i;
    }
  }

  private GoBase64() {}

  static byte[] decode(byte[] src) throws GoUnmarshal.GoJsonException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(src.length / 4 * 3);
    int si = 0;
    while (si < src.length) {
      int[] quantum = new int[4];
      int length = 4;
      boolean last = false;
      int j = 0;
      while (j < 4) {
        if (si == src.length) {
          if (j == 0) {
            return out.toByteArray();
          }
          throw corrupt(si - j);
        }
        int in = src[si] & 0xff;
        si++;
        int value = DECODE[in];
        if (value >= 0) {
          quantum[j++] = value;
          continue;
        }
        if (in == '\n' || in == '\r') {
          continue;
        }
        if (in != '=') {
          throw corrupt(si - 1);
        }
        // padding: only in the third or fourth place, and then nothing but line breaks after it
        if (j < 2) {
          throw corrupt(si - 1);
        }
        if (j == 2) {
          si = skipLineBreaks(src, si);
          if (si == src.length) {
            throw corrupt(src.length);
          }
          if (src[si] != '=') {
            throw corrupt(si - 1);
          }
          si++;
        }
        si = skipLineBreaks(src, si);
        if (si < src.length) {
          throw corrupt(si);
        }
        length = j;
        last = true;
        break;
      }
      int bits = quantum[0] << 18 | quantum[1] << 12 | quantum[2] << 6 | quantum[3];
      out.write(bits >> 16);
      if (length > 2) {
        out.write(bits >> 8);
      }
      if (length > 3) {
        out.write(bits);
      }
      if (last) {
        break;
      }
    }
    return out.toByteArray();
  }

  private static int skipLineBreaks(byte[] src, int si) {
    while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
      si++;
    }
    return si;
  }

  private static GoUnmarshal.GoJsonException corrupt(int offset) {
    return new GoUnmarshal.GoJsonException("illegal base64 data at input byte " + offset);
  }
}
