package keel.server.api.http;

import java.nio.charset.StandardCharsets;

/**
 * Strings as Go writes them, where etcd's gateway puts Go's own formatting into a body: {@code
 * strconv.Quote} (error texts such as {@code unknown value "BAD" for enum ...}) and {@code
 * encoding/json}'s string encoder (every string of a JSON answer, HTML-safe as Go 1.19 writes it).
 */
public final class GoQuote {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private GoQuote() {}

  /** {@code strconv.Quote(string(bytes))}: invalid UTF-8 bytes come out as {@code \xNN}. */
  public static String quote(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length + 2).append('"');
    int i = 0;
    while (i < bytes.length) {
      int b = bytes[i] & 0xff;
      int length = Utf8.sequenceLength(bytes, i);
      if (length == 0) {
        out.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xf]);
        i++;
        continue;
      }
      int rune = new String(bytes, i, length, StandardCharsets.UTF_8).codePointAt(0);
      out.append(escapeRune(rune, '"'));
      i += length;
    }
    return out.append('"').toString();
  }

  /** One rune as strconv writes it inside a literal quoted with {@code quote}. */
  public static String escapeRune(int rune, char quote) {
    if (rune == quote || rune == '\\') {
      return "\\" + (char) rune;
    }
    if (isPrint(rune)) {
      return new String(Character.toChars(rune));
    }
    switch (rune) {
      case 0x07: return "\\a";
      case '\b': return "\\b";
      case '\f': return "\\f";
      case '\n': return "\\n";
      case '\r': return "\\r";
      case '\t': return "\\t";
      case 0x0b: return "\\v";
      default: break;
    }
    if (rune < ' ' || rune == 0x7f) {
      return "\\x" + HEX[rune >> 4] + HEX[rune & 0xf];
    }
    if (rune < 0x10000) {
      return String.format("\\u%04x", rune);
    }
    return String.format("\\U%08x", rune);
  }

  /**
   * Go's {@code unicode.IsPrint}: exact for Latin-1 (where Go keeps a table: 0x20-0x7E and
   * 0xA1-0xFF but the soft hyphen), by Unicode category above it.
   */
  public static boolean isPrint(int rune) {
    if (rune <= 0xff) {
      return (rune >= 0x20 && rune <= 0x7e) || (rune >= 0xa1 && rune != 0xad);
    }
    return switch (Character.getType(rune)) {
      case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
          Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.SPACE_SEPARATOR -> false;
      default -> true;
    };
  }

  /**
   * A JSON string as Go 1.19's {@code encoding/json} writes it: {@code \n \r \t} short, other
   * control characters as six-character escapes (backslash, u, 00XX), {@code < > &} and U+2028/U+2029 escaped, unpaired
   * surrogates replaced by U+FFFD.
   */
  public static void appendJsonString(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '<', '>', '&', '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
        default -> {
          if (c < 0x20) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
          } else if (Character.isHighSurrogate(c) && i + 1 < value.length()
              && Character.isLowSurrogate(value.charAt(i + 1))) {
            out.append(c).append(value.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            out.append("\\ufffd");
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** UTF-8 validity as Go's {@code utf8.DecodeRune} judges it. */
  public static final class Utf8 {
    private Utf8() {}

    /** The length of the valid UTF-8 sequence starting at {@code i}, or 0 if the byte there starts none. */
    public static int sequenceLength(byte[] bytes, int i) {
      int b = bytes[i] & 0xff;
      if (b < 0x80) {
        return 1;
      }
      int length;
      int min;
      if (b >= 0xc2 && b <= 0xdf) {
        length = 2;
        min = 0x80;
      } else if (b >= 0xe0 && b <= 0xef) {
        length = 3;
        min = 0x800;
      } else if (b >= 0xf0 && b <= 0xf4) {
        length = 4;
        min = 0x10000;
      } else {
        return 0;
      }
      if (i + length > bytes.length) {
        return 0;
      }
      int rune = b & (0xff >> (length + 1));
      for (int k = 1; k < length; k++) {
        int next = bytes[i + k] & 0xff;
        if ((next & 0xc0) != 0x80) {
          return 0;
        }
        rune = (rune << 6) | (next & 0x3f);
      }
      if (rune < min || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) {
        return 0;
      }
      return length;
    }
  }
}
