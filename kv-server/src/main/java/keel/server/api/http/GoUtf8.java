package keel.server.api.http;

import java.nio.charset.StandardCharsets;

/**
 * Bytes to text the way Go sees invalid UTF-8 when etcd prints it: Go keeps a string's bytes as
 * they came and its JSON encoder writes U+FFFD for <em>each byte</em> that does not start a valid
 * encoding ({@code utf8.DecodeRune} gives {@code (RuneError, 1)}), while Java's decoder replaces a
 * whole ill-formed subsequence with one U+FFFD. So {@code e2 82 61} (a cut-off three-byte rune and
 * "a") is two U+FFFD and "a" in etcd's answer, and must be here too.
 */
final class GoUtf8 {
  private static final char REPLACEMENT = '\uFFFD';

  private GoUtf8() {}

  /** {@code bytes} as text, every byte that starts no valid UTF-8 encoding as one U+FFFD. */
  static String decode(byte[] bytes) {
    int i = 0;
    while (i < bytes.length && bytes[i] >= 0) {
      i++;
    }
    if (i == bytes.length) {
      return new String(bytes, StandardCharsets.US_ASCII); // the usual case: all ASCII
    }
    StringBuilder text = new StringBuilder(bytes.length);
    text.append(new String(bytes, 0, i, StandardCharsets.US_ASCII));
    while (i < bytes.length) {
      int length = validLength(bytes, i);
      if (length == 0) {
        text.append(REPLACEMENT);
        i++;
      } else {
        text.append(new String(bytes, i, length, StandardCharsets.UTF_8));
        i += length;
      }
    }
    return text.toString();
  }

  /** The length of the valid UTF-8 encoding starting at {@code i}, 0 if none does (Go's rules). */
  private static int validLength(byte[] b, int i) {
    int c0 = b[i] & 0xff;
    if (c0 < 0x80) {
      return 1;
    }
    int length;
    int lo = 0x80;
    int hi = 0xbf;
    if (c0 >= 0xc2 && c0 <= 0xdf) {
      length = 2;
    } else if (c0 >= 0xe0 && c0 <= 0xef) {
      length = 3;
      if (c0 == 0xe0) {
        lo = 0xa0; // no overlong encodings
      } else if (c0 == 0xed) {
        hi = 0x9f; // no surrogates
      }
    } else if (c0 >= 0xf0 && c0 <= 0xf4) {
      length = 4;
      if (c0 == 0xf0) {
        lo = 0x90;
      } else if (c0 == 0xf4) {
        hi = 0x8f; // nothing above U+10FFFF
      }
    } else {
      return 0;
    }
    if (i + length > b.length) {
      return 0;
    }
    int c1 = b[i + 1] & 0xff;
    if (c1 < lo || c1 > hi) {
      return 0;
    }
    for (int k = 2; k < length; k++) {
      int c = b[i + k] & 0xff;
      if (c < 0x80 || c > 0xbf) {
        return 0;
      }
    }
    return length;
  }
}
