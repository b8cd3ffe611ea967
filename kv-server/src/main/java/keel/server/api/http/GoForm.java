package keel.server.api.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * URL-encoded form values read the way Go's {@code url.ParseQuery} reads them (etcd parses its v2
 * requests with Go's {@code Request.ParseForm}): pairs split on '&amp;', '+' is a space, a bad
 * escape or a ';' skips that pair and the first such problem is reported in Go's words, while
 * every good pair is still kept.
 */
final class GoForm {
  /** The values by name, in order, and Go's error text for the first bad pair (null if none). */
  record Parsed(Map<String, List<String>> values, String error) {}

  private GoForm() {}

  static Parsed parse(String query) {
    return query == null ? parse(new byte[0]) : parse(query.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A form body as sent: Go keeps its bytes, so text is made of each value only once unescaped
   * ({@link GoUtf8}: bytes that are not UTF-8 become U+FFFD one by one, as etcd's JSON prints them).
   */
  static Parsed parse(byte[] raw) {
    // one char per byte: splitting on the ASCII separators leaves every other byte as it was
    String query = new String(raw, StandardCharsets.ISO_8859_1);
    Map<String, List<String>> values = new LinkedHashMap<>();
    String error = null;
    int from = 0;
    while (from <= query.length() && !query.isEmpty()) {
      int amp = query.indexOf('&', from);
      String pair = query.substring(from, amp < 0 ? query.length() : amp);
      from = amp < 0 ? query.length() + 1 : amp + 1;
      if (pair.contains(";")) {
        error = error != null ? error : "invalid semicolon separator in query";
        continue;
      }
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String rawKey = eq < 0 ? pair : pair.substring(0, eq);
      String rawValue = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        String key = unescape(rawKey);
        String value = unescape(rawValue);
        values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      } catch (IllegalArgumentException e) {
        error = error != null ? error : e.getMessage();
      }
    }
    return new Parsed(values, error);
  }

  /** Adds {@code more}'s values after {@code first}'s, as Go puts body values before the query's. */
  static Map<String, List<String>> merge(Map<String, List<String>> first, Map<String, List<String>> more) {
    Map<String, List<String>> merged = new LinkedHashMap<>();
    first.forEach((k, v) -> merged.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
    more.forEach((k, v) -> merged.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
    return merged;
  }

  /**
   * Go's {@code QueryUnescape} of {@code s}, one char per byte (ISO-8859-1); bytes that are not
   * UTF-8 become U+FFFD, each on its own, as Go's JSON later prints them.
   */
  private static String unescape(String s) {
    byte[] in = s.getBytes(StandardCharsets.ISO_8859_1);
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
      return GoUtf8.decode(in);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < in.length; i++) {
      byte b = in[i];
      if (b == '%') {
        if (i + 2 >= in.length || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) {
          byte[] bad = java.util.Arrays.copyOfRange(in, i, Math.min(in.length, i + 3));
          throw new IllegalArgumentException("invalid URL escape " + GoQuote.quote(bad));
        }
        out.write(hex(in[i + 1]) << 4 | hex(in[i + 2]));
        i += 2;
      } else if (b == '+') {
        out.write(' ');
      } else {
        out.write(b);
      }
    }
    return GoUtf8.decode(out.toByteArray());
  }

  private static int hex(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
