package keel.server.cli;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * etcd 3.4's {@code --config-file}: a YAML file whose keys are the flags' names (etcd's {@code
 * embed.Config} JSON tags), read into the same flag values the command line gives. As etcd reads
 * it (YAML turned into JSON, then Go's JSON decoder): keys it does not know are left alone, a value
 * of the wrong type fails with Go's words, durations are numbers of nanoseconds, lists of strings
 * stand for comma-separated flags, and the TLS settings sit in {@code client-transport-security}
 * and {@code peer-transport-security} ({@code cert-file}, {@code key-file}, {@code
 * client-cert-auth}, {@code trusted-ca-file}, {@code auto-tls}). The caller uses the file alone:
 * etcd ignores every other flag and environment variable when it is given.
 */
final class EtcdConfigFile {
  /** The Go type of each key of etcd 3.4's configYAML (embed.Config and etcdmain's proxy settings). */
  private static final Map<String, String> GO_TYPES = goTypes();
  private static final Map<String, String> SECURITY_TYPES = Map.of(
      "cert-file", "string", "key-file", "string", "client-cert-auth", "bool", "trusted-ca-file", "string",
      "auto-tls", "bool");

  private EtcdConfigFile() {}

  /**
   * The flag values {@code file} sets, by flag name.
   *
   * @throws IllegalArgumentException with etcd's words when the file cannot be read or decoded
   */
  static Map<String, String> read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("open " + file + ": no such file or directory");
    } catch (IOException e) {
      throw new IllegalArgumentException("open " + file + ": " + e.getMessage());
    }
    Object document;
    try {
      document = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw new IllegalArgumentException("error converting YAML to JSON: yaml: "
          + e.getMessage().replace('\n', ' '));
    }
    Map<String, String> flags = new LinkedHashMap<>();
    if (document == null) {
      return flags;
    }
    if (!(document instanceof Map<?, ?> top)) {
      throw new IllegalArgumentException("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
          + jsonType(document) + " into Go value of type embed.configYAML");
    }
    top.forEach((key, value) -> {
      String name = String.valueOf(key);
      if (name.equals("client-transport-security") || name.equals("peer-transport-security")) {
        security(name, value, name.startsWith("peer") ? "peer-" : "", flags);
      } else if (GO_TYPES.containsKey(name) && value != null) {
        flags.put(name, convert("configYAML." + name, GO_TYPES.get(name), value));
      }
    });
    return flags;
  }

  private static void security(String section, Object value, String flagPrefix, Map<String, String> flags) {
    if (value == null) {
      return;
    }
    if (!(value instanceof Map<?, ?> settings)) {
      throw mismatch("configYAML." + section, "embed.securityConfig", value);
    }
    settings.forEach((key, setting) -> {
      String name = String.valueOf(key);
      if (SECURITY_TYPES.containsKey(name) && setting != null) {
        flags.put(flagPrefix + name,
            convert("securityConfig." + section + "." + name, SECURITY_TYPES.get(name), setting));
      }
    });
  }

  /** The flag value for {@code value} decoded as Go decodes it into {@code goType}. */
  private static String convert(String field, String goType, Object value) {
    switch (goType) {
      case "string" -> {
        if (value instanceof String s) {
          return s;
        }
      }
      case "bool" -> {
        if (value instanceof Boolean b) {
          return b.toString();
        }
      }
      case "[]string" -> {
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
          return String.join(",", list.stream().map(String.class::cast).toList());
        }
      }
      case "time.Duration" -> {
        BigInteger nanos = integer(field, goType, value);
        return nanos + "ns";
      }
      default -> { // the integer types
        BigInteger n = integer(field, goType, value);
        boolean unsigned = goType.startsWith("uint");
        int bits = goType.endsWith("32") ? 32 : 64;
        BigInteger max = BigInteger.ONE.shiftLeft(unsigned ? bits : bits - 1).subtract(BigInteger.ONE);
        BigInteger min = unsigned ? BigInteger.ZERO : BigInteger.ONE.shiftLeft(bits - 1).negate();
        if (n.compareTo(max) > 0 || n.compareTo(min) < 0) {
          throw new IllegalArgumentException(prefix() + "number " + n + " into Go struct field " + field
              + " of type " + goType);
        }
        return n.toString();
      }
    }
    throw mismatch(field, goType, value);
  }

  private static BigInteger integer(String field, String goType, Object value) {
    if (value instanceof Integer || value instanceof Long) {
      return BigInteger.valueOf(((Number) value).longValue());
    }
    if (value instanceof BigInteger b) {
      return b;
    }
    if (value instanceof Double d) {
      throw new IllegalArgumentException(prefix() + "number " + goNumber(d) + " into Go struct field " + field
          + " of type " + goType);
    }
    throw mismatch(field, goType, value);
  }

  private static IllegalArgumentException mismatch(String field, String goType, Object value) {
    return new IllegalArgumentException(prefix() + jsonType(value) + " into Go struct field " + field
        + " of type " + goType);
  }

  private static String prefix() {
    return "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ";
  }

  /** What Go's JSON decoder calls the value's JSON kind. */
  private static String jsonType(Object value) {
    if (value instanceof String) {
      return "string";
    }
    if (value instanceof Boolean) {
      return "bool";
    }
    if (value instanceof Number) {
      return "number";
    }
    if (value instanceof List<?>) {
      return "array";
    }
    return "object";
  }

  private static String goNumber(double d) {
    return d == Math.rint(d) && !Double.isInfinite(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  private static Map<String, String> goTypes() {
    Map<String, String> types = new LinkedHashMap<>();
    for (String s : List.of("name", "data-dir", "wal-dir", "listen-peer-urls", "listen-client-urls",
        "listen-metrics-urls", "initial-advertise-peer-urls", "advertise-client-urls", "initial-cluster",
        "initial-cluster-token", "initial-cluster-state", "discovery", "discovery-proxy", "discovery-srv",
        "discovery-srv-name", "auto-compaction-mode", "auto-compaction-retention", "auth-token", "cors",
        "host-whitelist", "log-level", "logger", "log-package-levels", "metrics",
        "experimental-backend-bbolt-freelist-type", "experimental-enable-v2v3", "proxy")) {
      types.put(s, "string");
    }
    for (String s : List.of("enable-v2", "enable-pprof", "enable-grpc-gateway", "force-new-cluster", "debug",
        "pre-vote", "strict-reconfig-check", "initial-election-tick-advance", "unsafe-no-fsync",
        "experimental-initial-corrupt-check", "experimental-enable-lease-checkpoint",
        "experimental-enable-lease-checkpoint-persist")) {
      types.put(s, "bool");
    }
    for (String s : List.of("heartbeat-interval", "election-timeout", "max-snapshots", "max-wals",
        "max-txn-ops", "max-request-bytes", "auth-token-ttl", "bcrypt-cost")) {
      types.put(s, "uint");
    }
    types.put("snapshot-count", "uint64");
    types.put("quota-backend-bytes", "int64");
    types.put("max-concurrent-streams", "uint32");
    types.put("backend-batch-limit", "int");
    types.put("experimental-compaction-batch-limit", "int");
    for (String s : List.of("grpc-keepalive-min-time", "grpc-keepalive-interval", "grpc-keepalive-timeout",
        "backend-batch-interval", "experimental-corrupt-check-time", "experimental-warning-apply-duration",
        "experimental-watch-progress-notify-interval")) {
      types.put(s, "time.Duration");
    }
    types.put("log-outputs", "[]string");
    types.put("cipher-suites", "[]string");
    return Map.copyOf(types);
  }
}
