package keel.server.api.http.gateway;

import keel.server.api.http.GoQuote;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Go's {@code json.Unmarshal(raw, &target)} for the handful of targets etcd's gateway decodes into
 * (golang/protobuf 1.3's jsonpb hands every field's raw JSON to it): an object of raw members, an
 * array of raw elements, integers, bools, strings and {@code []byte}. A wrong JSON type fails with
 * Go's {@code json: cannot unmarshal number into Go value of type bool}; JSON {@code null} leaves
 * the target alone (the methods return null). Input is one JSON value; every method checks it the
 * way {@code json.Unmarshal} does first, since jsonpb hands it unchecked text in one case (a
 * quoted number, whose quotes it strips).
 */
final class GoUnmarshal {
  static final String RAW_OBJECT = "map[string]json.RawMessage";
  static final String RAW_ARRAY = "[]json.RawMessage";

  private GoUnmarshal() {}

  /** A JSON value Go could not store; the message is Go's text. */
  static final class GoJsonException extends Exception {
    GoJsonException(String message) {
      super(message, null, false, false);
    }
  }

  /** The members of an object, last duplicate winning (a Go map); null for JSON null. */
  static Map<String, byte[]> object(byte[] raw, String goType) throws GoJsonException {
    raw = check(raw);
    if (raw[0] != '{') {
      return expectNull(raw, goType);
    }
    Map<String, byte[]> members = new LinkedHashMap<>();
    int i = skipSpace(raw, 1);
    if (raw[i] == '}') {
      return members;
    }
    while (true) {
      int keyEnd = skipString(raw, i);
      String key = new String(unquote(raw, i, keyEnd), StandardCharsets.UTF_8);
      i = skipSpace(raw, keyEnd) + 1; // ':'
      i = skipSpace(raw, i);
      int valueEnd = skipValue(raw, i);
      members.put(key, java.util.Arrays.copyOfRange(raw, i, valueEnd));
      i = skipSpace(raw, valueEnd);
      if (raw[i] == '}') {
        return members;
      }
      i = skipSpace(raw, i + 1); // ','
    }
  }

  /** The elements of an array; null for JSON null. */
  static List<byte[]> array(byte[] raw, String goType) throws GoJsonException {
    raw = check(raw);
    if (raw[0] != '[') {
      return expectNull(raw, goType);
    }
    List<byte[]> elements = new ArrayList<>();
    int i = skipSpace(raw, 1);
    if (raw[i] == ']') {
      return elements;
    }
    while (true) {
      int end = skipValue(raw, i);
      elements.add(java.util.Arrays.copyOfRange(raw, i, end));
      i = skipSpace(raw, end);
      if (raw[i] == ']') {
        return elements;
      }
      i = skipSpace(raw, i + 1);
    }
  }

  /**
   * A signed integer of {@code bits} bits, as strconv.ParseInt reads the number's text (so
   * {@code 1.5} and {@code 1e3} fail, naming the number); null for JSON null.
   */
  static Long signed(byte[] raw, String goType, int bits) throws GoJsonException {
    raw = check(raw);
    if (kind(raw) != Kind.NUMBER) {
      return expectNull(raw, goType);
    }
    String text = new String(raw, StandardCharsets.US_ASCII);
    try {
      long value = Long.parseLong(text);
      if (bits < 64 && (value < -(1L << (bits - 1)) || value >= (1L << (bits - 1)))) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw typeError("number " + text, goType);
    }
  }

  /** An unsigned integer of {@code bits} bits (as a long holding the bits); null for JSON null. */
  static Long unsigned(byte[] raw, String goType, int bits) throws GoJsonException {
    raw = check(raw);
    if (kind(raw) != Kind.NUMBER) {
      return expectNull(raw, goType);
    }
    String text = new String(raw, StandardCharsets.US_ASCII);
    try {
      if (text.startsWith("-") || text.startsWith("+")) {
        throw new NumberFormatException();
      }
      BigInteger value = new BigInteger(text);
      if (value.bitLength() > bits) {
        throw new NumberFormatException();
      }
      return value.longValue();
    } catch (NumberFormatException e) {
      throw typeError("number " + text, goType);
    }
  }

  /** A number for a float field: Go's ParseFloat over the number's text. */
  static Double floating(byte[] raw, String goType) throws GoJsonException {
    raw = check(raw);
    if (kind(raw) != Kind.NUMBER) {
      return expectNull(raw, goType);
    }
    return Double.parseDouble(new String(raw, StandardCharsets.US_ASCII));
  }

  static Boolean bool(byte[] raw) throws GoJsonException {
    raw = check(raw);
    if (kind(raw) != Kind.BOOL) {
      return expectNull(raw, "bool");
    }
    return raw[0] == 't';
  }

  static String string(byte[] raw) throws GoJsonException {
    raw = check(raw);
    if (kind(raw) != Kind.STRING) {
      return expectNull(raw, "string");
    }
    return new String(unquote(raw, 0, raw.length), StandardCharsets.UTF_8);
  }

  /**
   * A {@code []byte}: a base64 string (standard alphabet, padded, line breaks skipped), or, as Go
   * also accepts, an array of numbers 0-255.
   */
  static byte[] bytes(byte[] raw) throws GoJsonException {
    raw = check(raw);
    switch (kind(raw)) {
      case STRING -> {
        return GoBase64.decode(unquote(raw, 0, raw.length));
      }
      case ARRAY -> {
        List<byte[]> elements = array(raw, "[]uint8");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] element : elements) {
          Long value = unsigned(element, "uint8", 8);
          out.write(value == null ? 0 : value.intValue());
        }
        return out.toByteArray();
      }
      default -> {
        return expectNull(raw, "[]uint8");
      }
    }
  }

  /** The string's bytes between its quotes, exactly as written (jsonpb looks enum names up this way). */
  static byte[] quotedText(byte[] raw) {
    return java.util.Arrays.copyOfRange(raw, 1, raw.length - 1);
  }

  enum Kind { OBJECT, ARRAY, STRING, BOOL, NULL, NUMBER }

  static Kind kind(byte[] raw) {
    return switch (raw[0]) {
      case '{' -> Kind.OBJECT;
      case '[' -> Kind.ARRAY;
      case '"' -> Kind.STRING;
      case 't', 'f' -> Kind.BOOL;
      case 'n' -> Kind.NULL;
      default -> Kind.NUMBER;
    };
  }

  static boolean isNull(byte[] raw) {
    return raw.length == 4 && raw[0] == 'n' && raw[1] == 'u' && raw[2] == 'l' && raw[3] == 'l';
  }

  /** json.Unmarshal's checkValid, then the value without the white space that may surround it. */
  private static byte[] check(byte[] raw) throws GoJsonException {
    String error = GoJsonScanner.checkValid(raw);
    if (error != null) {
      throw new GoJsonException(error);
    }
    int from = 0;
    int to = raw.length;
    while (GoJsonScanner.isSpace(raw[from])) {
      from++;
    }
    while (GoJsonScanner.isSpace(raw[to - 1])) {
      to--;
    }
    return from == 0 && to == raw.length ? raw : java.util.Arrays.copyOfRange(raw, from, to);
  }

  /** Null stays null; any other kind is Go's UnmarshalTypeError. */
  private static <T> T expectNull(byte[] raw, String goType) throws GoJsonException {
    Kind kind = kind(raw);
    if (kind == Kind.NULL) {
      return null;
    }
    throw typeError(kind.name().toLowerCase(java.util.Locale.ROOT), goType);
  }

  static GoJsonException typeError(String value, String goType) {
    return new GoJsonException("json: cannot unmarshal " + value + " into Go value of type " + goType);
  }

  // --- walking a valid JSON text ---

  private static int skipSpace(byte[] raw, int i) {
    while (i < raw.length && GoJsonScanner.isSpace(raw[i])) {
      i++;
    }
    return i;
  }

  /** The index after the string starting at {@code i} (its opening quote). */
  private static int skipString(byte[] raw, int i) {
    i++;
    while (raw[i] != '"') {
      i += raw[i] == '\\' ? 2 : 1;
    }
    return i + 1;
  }

  /** The index after the value starting at {@code i}. */
  private static int skipValue(byte[] raw, int i) {
    switch (raw[i]) {
      case '"' -> {
        return skipString(raw, i);
      }
      case '{', '[' -> {
        int depth = 0;
        do {
          byte b = raw[i];
          if (b == '"') {
            i = skipString(raw, i);
            continue;
          }
          if (b == '{' || b == '[') {
            depth++;
          } else if (b == '}' || b == ']') {
            depth--;
          }
          i++;
        } while (depth > 0);
        return i;
      }
      default -> {
        while (i < raw.length && raw[i] != ',' && raw[i] != '}' && raw[i] != ']'
            && !GoJsonScanner.isSpace(raw[i])) {
          i++;
        }
        return i;
      }
    }
  }

  /**
   * Go's unquoteBytes: the string literal in {@code raw[from, to)} (quotes included) as UTF-8,
   * escapes resolved, an unpaired surrogate escape and every invalid UTF-8 byte turned into U+FFFD.
   */
  static byte[] unquote(byte[] raw, int from, int to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
    int i = from + 1;
    int end = to - 1;
    while (i < end) {
      int b = raw[i] & 0xff;
      if (b == '\\') {
        int escape = raw[i + 1];
        i += 2;
        switch (escape) {
          case 'b' -> out.write('\b');
          case 'f' -> out.write('\f');
          case 'n' -> out.write('\n');
          case 'r' -> out.write('\r');
          case 't' -> out.write('\t');
          case 'u' -> {
            int rune = hex4(raw, i);
            i += 4;
            if (Character.isSurrogate((char) rune)) {
              int low = -1;
              if (Character.isHighSurrogate((char) rune) && i + 6 <= end && raw[i] == '\\' && raw[i + 1] == 'u') {
                low = hex4(raw, i + 2);
              }
              if (low >= 0 && Character.isLowSurrogate((char) low)) {
                rune = Character.toCodePoint((char) rune, (char) low);
                i += 6;
              } else {
                rune = 0xfffd;
              }
            }
            writeRune(out, rune);
          }
          default -> out.write(escape); // \" \\ \/
        }
        continue;
      }
      if (b < 0x80) {
        out.write(b);
        i++;
        continue;
      }
      int length = GoQuote.Utf8.sequenceLength(raw, i);
      if (length == 0 || i + length > end) {
        writeRune(out, 0xfffd);
        i++;
      } else {
        out.write(raw, i, length);
        i += length;
      }
    }
    return out.toByteArray();
  }

  private static int hex4(byte[] raw, int i) {
    return Integer.parseInt(new String(raw, i, 4, StandardCharsets.US_ASCII), 16);
  }

  private static void writeRune(ByteArrayOutputStream out, int rune) {
    byte[] bytes = new String(Character.toChars(rune)).getBytes(StandardCharsets.UTF_8);
    out.write(bytes, 0, bytes.length);
  }
}
