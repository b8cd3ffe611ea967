package keel.server.api.http;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import keel.server.v2store.V2Paths;

/**
 * What Go's {@code http.ServeMux} answers, in front of every etcd route, for a path that is not
 * clean ({@code //}, {@code .} or {@code ..} segments, also percent-encoded): {@code 301 Moved
 * Permanently} to the cleaned path with the query kept, a small HTML body for GET. Armeria would
 * serve such a path at its cleaned form; the decision is made here from the path as the client
 * sent it. OPTIONS is answered before this by {@link CorsHeaders}, as etcd's CORS handler does.
 *
 * <pre>
 * GET /v2/keys//a?wait=true  ->  301, Location: /v2/keys/a?wait=true
 * PUT /v2/keys/a/../b        ->  301, Location: /v2/keys/b (no body)
 * </pre>
 */
final class GoPathRedirect {
  private GoPathRedirect() {}

  /**
   * The query part of the redirect's Location: Go's ServeMux redirects to a URL made of the clean
   * path and the raw query, which prints {@code ?query} only when the query is not empty.
   */
  static String redirectQuery(String rawQuery) {
    return rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery;
  }

  static HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    if (req.method() == HttpMethod.CONNECT) {
      return delegate.serve(ctx, req);
    }
    String target = ctx.rawPath(); // as sent: ctx.path() and req.path() are already cleaned
    int q = target.indexOf('?');
    String rawPath = q < 0 ? target : target.substring(0, q);
    String query = redirectQuery(q >= 0 ? target.substring(q + 1) : ctx.query());
    if (!rawPath.contains("//") && !rawPath.contains("/.") && rawPath.indexOf('%') < 0) {
      return delegate.serve(ctx, req); // the usual case, gRPC's included: nothing to clean
    }
    byte[] decodedBytes = unescapeBytes(rawPath);
    if (decodedBytes == null) {
      return delegate.serve(ctx, req);
    }
    // cleaned as bytes (one char each): Go keeps a path's bytes, valid UTF-8 or not, and escapes
    // them again byte by byte ("%ff" stays "%FF" in the Location, never U+FFFD's "%EF%BF%BD")
    String decoded = new String(decodedBytes, StandardCharsets.ISO_8859_1);
    String cleaned = cleanPath(decoded);
    if (cleaned.equals(decoded)) {
      return delegate.serve(ctx, req);
    }
    String location = escapeBytes(cleaned.getBytes(StandardCharsets.ISO_8859_1)) + query;
    ResponseHeadersBuilder headers = ResponseHeaders.builder(HttpStatus.MOVED_PERMANENTLY).add("location", location);
    if (req.method() == HttpMethod.GET || req.method() == HttpMethod.HEAD) {
      headers.contentType(MediaType.HTML_UTF_8);
    }
    if (req.method() != HttpMethod.GET) {
      return HttpResponse.of(headers.build(), HttpData.empty());
    }
    return HttpResponse.of(headers.build(),
        HttpData.ofUtf8("<a href=\"" + htmlEscape(location) + "\">Moved Permanently</a>.\n\n"));
  }

  /**
   * Go's {@code cleanPath}: rooted, {@code path.Clean}ed (one slash between segments, no {@code
   * .}, each {@code ..} taking the segment before it, none above the root), and a trailing slash
   * kept when the path had one.
   */
  static String cleanPath(String path) {
    String cleaned = V2Paths.clean(path);
    return path.endsWith("/") && !cleaned.equals("/") ? cleaned + "/" : cleaned;
  }

  /** Percent-decoding as Go's URL parser does for a path ({@code +} stays); null when malformed. */
  static String unescape(String raw) {
    byte[] bytes = unescapeBytes(raw);
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** Percent-decoding as Go's URL parser does for a path, to the path's bytes; null when malformed. */
  static byte[] unescapeBytes(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw.getBytes(StandardCharsets.UTF_8);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] != '%') {
        out.write(bytes[i]);
        continue;
      }
      if (i + 2 >= bytes.length) {
        return null;
      }
      int hi = Character.digit(bytes[i + 1], 16);
      int lo = Character.digit(bytes[i + 2], 16);
      if (hi < 0 || lo < 0) {
        return null;
      }
      out.write(hi << 4 | lo);
      i += 2;
    }
    return out.toByteArray();
  }

  /** Go's path escaping ({@code url.URL.EscapedPath} with no raw path to keep). */
  static String escape(String path) {
    return escapeBytes(path.getBytes(StandardCharsets.UTF_8));
  }

  /** Go's path escaping of a path's bytes, whether they are UTF-8 or not. */
  static String escapeBytes(byte[] path) {
    StringBuilder out = new StringBuilder();
    for (byte b : path) {
      int c = b & 0xff;
      if (Character.isLetterOrDigit(c) && c < 0x80 || "-_.~$&+,/:;=@".indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Go's {@code htmlEscape} in {@code http.Redirect}. */
  private static String htmlEscape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&#34;").replace("'", "&#39;");
  }
}
