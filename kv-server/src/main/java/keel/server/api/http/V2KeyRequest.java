package keel.server.api.http;

import java.util.List;
import java.util.Map;
import keel.server.command.Command;
import keel.server.command.V2Request;
import keel.server.errors.V2Error;

/**
 * One {@code /v2/keys} request, read and checked as etcd 3.4's {@code parseKeyRequest} does: the
 * same parameters, the same order of checks, the same error codes and causes. Time is fixed here,
 * at the door: a ttl becomes an absolute expiration from this member's clock.
 *
 * @param key the client's key path, "/" for the root
 * @param prevExist null when not given
 * @param ttlSeconds null when not given (or empty)
 * @param refresh null when not given
 */
record V2KeyRequest(
    String method,
    String key,
    String value,
    boolean dir,
    String prevValue,
    long prevIndex,
    Boolean prevExist,
    boolean waitForChange,
    long waitIndex,
    boolean recursive,
    boolean sorted,
    boolean quorum,
    boolean stream,
    Long ttlSeconds,
    Boolean refresh,
    boolean noValueOnSuccess) {

  /**
   * @param method the HTTP method, upper case
   * @param keyPath the decoded URL path after {@code /v2/keys}
   * @param form the body's form values before the query's (Go's {@code Request.Form})
   */
  static V2KeyRequest parse(String method, String keyPath, Map<String, List<String>> form) {
    long prevIndex = uint64(form, "prevIndex", V2Error.INDEX_NAN, "invalid value for \"prevIndex\"");
    long waitIndex = uint64(form, "waitIndex", V2Error.INDEX_NAN, "invalid value for \"waitIndex\"");
    boolean recursive = bool(form, "recursive");
    boolean sorted = bool(form, "sorted");
    boolean wait = bool(form, "wait");
    boolean dir = bool(form, "dir");
    boolean quorum = bool(form, "quorum");
    boolean stream = bool(form, "stream");
    if (wait && !method.equals("GET")) {
      throw V2Error.INVALID_FIELD.requestError("\"wait\" can only be used with GET requests");
    }
    String prevValue = first(form, "prevValue");
    if (form.containsKey("prevValue") && prevValue.isEmpty()) {
      throw V2Error.PREV_VALUE_REQUIRED.requestError("\"prevValue\" cannot be empty");
    }
    boolean noValueOnSuccess = bool(form, "noValueOnSuccess");
    Long ttl = null;
    if (!first(form, "ttl").isEmpty()) {
      ttl = uint64(form, "ttl", V2Error.TTL_NAN, "invalid value for \"ttl\"");
    }
    Boolean prevExist = null;
    if (form.containsKey("prevExist")) {
      prevExist = boolOrNull(form, "prevExist", "invalid value for prevExist");
    }
    Boolean refresh = null;
    if (form.containsKey("refresh")) {
      refresh = boolOrNull(form, "refresh", "invalid value for refresh");
      if (refresh) {
        if (form.containsKey("value") && !first(form, "value").isEmpty()) {
          throw V2Error.REFRESH_VALUE.requestError("A value was provided on a refresh");
        }
        if (ttl == null) {
          throw V2Error.REFRESH_TTL_REQUIRED.requestError("No TTL value set");
        }
      }
    }
    String key = keyPath.isEmpty() ? "/" : keyPath;
    return new V2KeyRequest(method, key, first(form, "value"), dir, prevValue, prevIndex, prevExist, wait,
        waitIndex, recursive, sorted, quorum, stream, ttl, refresh, noValueOnSuccess);
  }

  boolean isWrite() {
    return method.equals("PUT") || method.equals("POST") || method.equals("DELETE");
  }

  /** The log command for a write, with the expiration taken from {@code nowNanos} (Unix epoch). */
  Command command(long nowNanos) {
    V2Request.Builder b = V2Request.newBuilder()
        .setMethod(switch (method) {
          case "PUT" -> V2Request.Method.PUT;
          case "POST" -> V2Request.Method.POST;
          case "DELETE" -> V2Request.Method.DELETE;
          default -> throw new IllegalStateException(method + " is not a v2 write");
        })
        .setPath(key)
        .setValue(value)
        .setDir(dir)
        .setPrevValue(prevValue)
        .setPrevIndex(prevIndex)
        .setRecursive(recursive)
        .setRefresh(refresh != null && refresh)
        .setTime(nowNanos);
    if (prevExist != null) {
      b.setPrevExist(prevExist);
    }
    if (ttlSeconds != null) {
      b.setExpiration(expiration(nowNanos, ttlSeconds));
    }
    return Command.newBuilder().setV2(b).build();
  }

  /** Go's {@code now.Add(ttl * time.Second).UnixNano()}, saturating where Go's Duration overflows. */
  static long expiration(long nowNanos, long ttlSeconds) {
    long ttlNanos = ttlSeconds * 1_000_000_000L; // Go's Duration multiply wraps the same way
    return nowNanos + ttlNanos;
  }

  private static String first(Map<String, List<String>> form, String name) {
    List<String> values = form.get(name);
    return values == null || values.isEmpty() ? "" : values.get(0);
  }

  /** Go's {@code strconv.ParseUint(v, 10, 64)} on the first value; 0 when absent. */
  private static long uint64(Map<String, List<String>> form, String name, V2Error error, String cause) {
    if (!form.containsKey(name)) {
      return 0;
    }
    String v = first(form, name);
    if (v.isEmpty() || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw error.requestError(cause);
    }
    try {
      return Long.parseUnsignedLong(v);
    } catch (NumberFormatException e) {
      throw error.requestError(cause);
    }
  }

  private static boolean bool(Map<String, List<String>> form, String name) {
    if (!form.containsKey(name)) {
      return false;
    }
    return boolOrNull(form, name, "invalid value for \"" + name + "\"");
  }

  private static Boolean boolOrNull(Map<String, List<String>> form, String name, String cause) {
    return switch (first(form, name)) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> throw V2Error.INVALID_FIELD.requestError(cause);
    };
  }
}
