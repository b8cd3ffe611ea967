package keel.testing;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks what legitimately differs between two clusters in etcd v2 keys API output (etcdctl v2 and
 * HTTP bodies): indexes become offsets from the cluster's index when a sequence starts, TTLs and
 * expiration times become tokens.
 *
 * <p>Indexes are kept relative, not erased: etcd's v2 index counts the store's own writes (on a
 * fresh 3-member etcd the first user write is index 8, after the member and version records), so
 * absolute values differ between clusters, but a sequence run on a quiet cluster must move the
 * index by the same steps everywhere: one per successful write, one per expired node, none for a
 * failed request. With the sequence's starting index {@code base = 7}:
 *
 * <pre>
 * {"createdIndex":9,"modifiedIndex":12,"expiration":"2026-01-02T03:04:05.6Z","ttl":99}
 *   -> {"createdIndex":&lt;i+2&gt;,"modifiedIndex":&lt;i+5&gt;,"expiration":"&lt;expiration&gt;","ttl":&lt;ttl&gt;}
 * Error:  101: Compare failed ([9 != 12]) [12]  ->  Error:  101: Compare failed ([&lt;i+2&gt; != &lt;i+5&gt;]) [&lt;i+5&gt;]
 * /queue/00000000000000000010                    ->  /queue/&lt;i+3&gt;   (an in-order key is named by its index)
 * Created-Index: 9 / Index: 12 / TTL: 57         ->  Created-Index: &lt;i+2&gt; / Index: &lt;i+5&gt; / TTL: &lt;ttl&gt;
 * "index":0                                      ->  "index":0   (etcd's "no index" in a request it refused unparsed)
 * </pre>
 *
 * Values are not touched except by the patterns above; a sequence keeps its values non-numeric
 * where a compare failure prints them ({@code [old != new]}), so only indexes look like
 * {@code [9 != 12]}.
 */
public final class V2Mask {
  private static final Pattern JSON_INDEX = Pattern.compile("(\"(?:createdIndex|modifiedIndex|index)\":)([0-9]+)");
  private static final Pattern EXTENDED_INDEX = Pattern.compile("(?m)^((?:Created-|Modified-)?Index: )([0-9]+)$");
  private static final Pattern IN_ORDER_KEY = Pattern.compile("(?<=/)([0-9]{20})\\b");
  /** The current index etcdctl prints after a v2 error: {@code Error:  100: Key not found (/k) [12]}. */
  private static final Pattern ERROR_INDEX = Pattern.compile("(?m)^(Error: .*\\[)([0-9]+)(\\])$");
  private static final Pattern COMPARE_INDEXES = Pattern.compile("\\[([0-9]+) != ([0-9]+)\\]");
  /** Error 401's cause: {@code the requested history has been cleared [oldest/asked]}. */
  private static final Pattern CLEARED_INDEXES = Pattern.compile("(cleared \\[)([0-9]+)/([0-9]+)(\\])");
  private static final Pattern JSON_EXPIRATION = Pattern.compile("(\"expiration\":\")[^\"]*(\")");
  private static final Pattern JSON_TTL = Pattern.compile("(\"ttl\":)-?[0-9]+");
  private static final Pattern EXTENDED_TTL = Pattern.compile("(?m)^(TTL: )-?[1-9][0-9]*$");

  private final long base;

  /** Indexes are shown as offsets from {@code base}, the cluster's v2 index before the sequence. */
  public V2Mask(long base) {
    this.base = base;
  }

  public long base() {
    return base;
  }

  /** {@code <i+k>} for {@code base + k}; 0 stays 0 (etcd's index of a request refused before the store). */
  public String index(long index) {
    if (index == 0) {
      return "0";
    }
    long offset = index - base;
    return "<i" + (offset < 0 ? "-" : "+") + Math.abs(offset) + ">";
  }

  /** {@code text} with indexes made relative and TTLs and expiration times replaced by tokens. */
  public String mask(String text) {
    String masked = text;
    masked = replace(masked, JSON_INDEX, m -> m.group(1) + index(m.group(2)));
    masked = replace(masked, EXTENDED_INDEX, m -> m.group(1) + index(m.group(2)));
    masked = replace(masked, IN_ORDER_KEY, m -> index(m.group(1)));
    masked = replace(masked, ERROR_INDEX, m -> m.group(1) + index(m.group(2)) + m.group(3));
    masked = replace(masked, COMPARE_INDEXES, m -> "[" + index(m.group(1)) + " != " + index(m.group(2)) + "]");
    masked = replace(masked, CLEARED_INDEXES,
        m -> m.group(1) + index(m.group(2)) + "/" + index(m.group(3)) + m.group(4));
    masked = replace(masked, JSON_EXPIRATION, m -> m.group(1) + "<expiration>" + m.group(2));
    masked = replace(masked, JSON_TTL, m -> m.group(1) + "<ttl>");
    masked = replace(masked, EXTENDED_TTL, m -> m.group(1) + "<ttl>");
    return masked;
  }

  private String index(String digits) {
    return index(Long.parseLong(digits));
  }

  private static String replace(String text, Pattern pattern, Function<Matcher, String> replacement) {
    Matcher m = pattern.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(replacement.apply(m)));
    }
    return m.appendTail(out).toString();
  }
}
