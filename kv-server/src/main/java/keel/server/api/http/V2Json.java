package keel.server.api.http;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;
import keel.server.v2store.V2Event;
import keel.server.v2store.V2NodeExtern;

/**
 * The v2 keys API bodies exactly as etcd 3.4 prints them: Go's {@code json.Encoder} (HTML-safe
 * escaping, a trailing newline) over etcd's structs, whose field order and {@code omitempty}
 * rules are:
 *
 * <pre>
 *   event: action, node?, prevNode?                 (refresh never printed: etcd clones it away)
 *   node:  key?, value (present for files, even ""), dir?, expiration?, ttl?, nodes?,
 *          modifiedIndex?, createdIndex?            (? = omitted when empty, false or 0)
 *   error: errorCode, message, cause?, index
 * </pre>
 * Written by hand rather than with Jackson so that every byte is visibly Go's.
 */
public final class V2Json {
  private V2Json() {}

  /** A body for an event, with etcd's trailing newline. */
  public static String event(V2Event e) {
    return event(e, false);
  }

  /**
   * @param noValueOnSuccess etcd's {@code noValueOnSuccess=true}: set, create, update and
   *     compareAndSwap answer with the action alone
   */
  public static String event(V2Event e, boolean noValueOnSuccess) {
    boolean bare = noValueOnSuccess && switch (e.action()) {
      case V2Event.SET, V2Event.CREATE, V2Event.UPDATE, V2Event.COMPARE_AND_SWAP -> true;
      default -> false;
    };
    StringBuilder sb = new StringBuilder(128);
    sb.append("{\"action\":");
    appendString(sb, e.action());
    if (!bare && e.node() != null) {
      sb.append(",\"node\":");
      appendNode(sb, e.node());
    }
    if (!bare && e.prevNode() != null) {
      sb.append(",\"prevNode\":");
      appendNode(sb, e.prevNode());
    }
    return sb.append("}\n").toString();
  }

  /** An error body, with etcd's trailing newline. */
  public static String error(V2Exception e) {
    return error(e.error(), e.errorCause(), e.index());
  }

  public static String error(V2Error error, String cause, long index) {
    StringBuilder sb = new StringBuilder(96);
    sb.append("{\"errorCode\":").append(error.code()).append(",\"message\":");
    appendString(sb, error.message());
    if (cause != null && !cause.isEmpty()) {
      sb.append(",\"cause\":");
      appendString(sb, cause);
    }
    sb.append(",\"index\":").append(Long.toUnsignedString(index));
    return sb.append("}\n").toString();
  }

  /** One node without a trailing newline. */
  public static String node(V2NodeExtern n) {
    StringBuilder sb = new StringBuilder(64);
    appendNode(sb, n);
    return sb.toString();
  }

  static void appendNode(StringBuilder sb, V2NodeExtern n) {
    sb.append('{');
    boolean first = true;
    if (!n.key().isEmpty()) {
      first = field(sb, first, "key");
      appendString(sb, n.key());
    }
    if (n.value() != null) {
      first = field(sb, first, "value");
      appendString(sb, n.value());
    }
    if (n.dir()) {
      first = field(sb, first, "dir");
      sb.append("true");
    }
    if (n.expiration() != 0) {
      first = field(sb, first, "expiration");
      sb.append('"').append(rfc3339Nano(n.expiration())).append('"');
    }
    if (n.ttl() != 0) {
      first = field(sb, first, "ttl");
      sb.append(n.ttl());
    }
    List<V2NodeExtern> nodes = n.nodes();
    if (nodes != null && !nodes.isEmpty()) {
      first = field(sb, first, "nodes");
      sb.append('[');
      for (int i = 0; i < nodes.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        appendNode(sb, nodes.get(i));
      }
      sb.append(']');
    }
    if (n.modifiedIndex() != 0) {
      first = field(sb, first, "modifiedIndex");
      sb.append(Long.toUnsignedString(n.modifiedIndex()));
    }
    if (n.createdIndex() != 0) {
      field(sb, first, "createdIndex");
      sb.append(Long.toUnsignedString(n.createdIndex()));
    }
    sb.append('}');
  }

  private static boolean field(StringBuilder sb, boolean first, String name) {
    if (!first) {
      sb.append(',');
    }
    sb.append('"').append(name).append("\":");
    return false;
  }

  /**
   * Go's {@code time.RFC3339Nano} in UTC, as {@code time.Time} marshals to JSON: trailing zeros
   * of the fraction dropped, no fraction at all on a whole second.
   */
  public static String rfc3339Nano(long epochNanos) {
    long seconds = Math.floorDiv(epochNanos, 1_000_000_000L);
    int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L);
    LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
    StringBuilder sb = new StringBuilder(30);
    pad(sb, t.getYear(), 4).append('-');
    pad(sb, t.getMonthValue(), 2).append('-');
    pad(sb, t.getDayOfMonth(), 2).append('T');
    pad(sb, t.getHour(), 2).append(':');
    pad(sb, t.getMinute(), 2).append(':');
    pad(sb, t.getSecond(), 2);
    if (nanos != 0) {
      StringBuilder frac = new StringBuilder(9);
      pad(frac, nanos, 9);
      int end = frac.length();
      while (frac.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(frac, 0, end);
    }
    return sb.append('Z').toString();
  }

  private static StringBuilder pad(StringBuilder sb, int v, int width) {
    String s = Integer.toString(v);
    for (int i = s.length(); i < width; i++) {
      sb.append('0');
    }
    return sb.append(s);
  }


  /**
   * Go's {@code encoding/json} string escaping with HTML escaping on (the Encoder's default), as
   * of Go 1.19 (Debian's etcd 3.4.23): {@code \" \\ \n \r \t}; other control characters,
   * {@code < > &}, U+2028 and U+2029 as lowercase {@code \}{@code u00XX}; DEL and non-ASCII
   * raw; an unpaired surrogate (invalid UTF-8 in Go) as U+FFFD.
   */
  static void appendString(StringBuilder sb, String s) {
    GoQuote.appendJsonString(sb, s);
  }

}
