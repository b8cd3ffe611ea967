package keel.server.cli;

import static keel.server.cli.EtcdFlag.Kind.BOOL;
import static keel.server.cli.EtcdFlag.Kind.DURATION;
import static keel.server.cli.EtcdFlag.Kind.INT;
import static keel.server.cli.EtcdFlag.Kind.INT64;
import static keel.server.cli.EtcdFlag.Kind.OBSOLETE;
import static keel.server.cli.EtcdFlag.Kind.STRING;
import static keel.server.cli.EtcdFlag.Kind.UINT;
import static keel.server.cli.EtcdFlag.Kind.UINT32;
import static keel.server.cli.EtcdFlag.Kind.URLS;
import static keel.server.cli.EtcdFlag.ignored;
import static keel.server.cli.EtcdFlag.onlyDefault;
import static keel.server.cli.EtcdFlag.used;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import keel.server.GoDuration;
import keel.server.ServerConfig;
import keel.server.compactor.AutoCompaction;

/**
 * etcd 3.4's server flags ({@code etcdmain/config.go}) and their {@code ETCD_*} variables, read
 * into a {@link ServerConfig}. This class is the one place that knows which flag sets which
 * field; defaults and the member-level rules are {@link ServerConfig.Builder}'s.
 *
 * <p>Every etcd 3.4 server flag is known. The ones Keel uses are mapped; the ones that do not
 * change what Keel does (logging, compaction, gRPC keepalive, experimental tuning...) are accepted
 * and named in one warning; the ones whose non-default value would make Keel behave differently
 * from what the user asked (discovery, proxy mode) are accepted only with etcd's default. With
 * {@code --config-file}, the file's settings alone ({@link EtcdConfigFile}), as etcd.
 */
public final class ServerFlags {
  /** etcd's default {@code --initial-cluster}, before it is derived from {@code --name}. */
  static final String DEFAULT_INITIAL_CLUSTER = "default=http://localhost:2380";

  /** The three outcomes of a valid command line. */
  public enum Action { RUN, HELP, VERSION }

  /**
   * A parsed command line.
   *
   * @param action   what to do
   * @param config   the member's configuration; null unless {@code action} is RUN
   * @param warnings lines for stderr (ignored flags, shadowed or unknown {@code ETCD_*} variables)
   */
  public record Outcome(Action action, ServerConfig config, List<String> warnings) {}

  static final List<EtcdFlag> FLAGS = List.of(
      // member
      used("name", STRING, ServerConfig.DEFAULT_NAME, "Human-readable name for this member."),
      used("data-dir", STRING, "${name}.keel", "Path to the data directory."),
      ignored("wal-dir", STRING),
      used("listen-peer-urls", URLS, ServerConfig.DEFAULT_PEER_URL.toString(),
          "List of URLs to listen on for peer traffic."),
      used("listen-client-urls", URLS, ServerConfig.DEFAULT_CLIENT_URL.toString(),
          "List of URLs to listen on for client traffic (gRPC and HTTP)."),
      used("listen-metrics-urls", URLS, "",
          "List of URLs to listen on for the metrics and health endpoints."),
      ignored("max-snapshots", UINT),
      ignored("max-wals", UINT),
      used("snapshot-count", UINT, Long.toString(ServerConfig.DEFAULT_SNAPSHOT_COUNT),
          "Number of committed transactions to trigger a snapshot to disk."),
      used("heartbeat-interval", UINT, Long.toString(ServerConfig.DEFAULT_HEARTBEAT_MILLIS),
          "Time (in milliseconds) of a heartbeat interval."),
      used("election-timeout", UINT, Long.toString(ServerConfig.DEFAULT_ELECTION_MILLIS),
          "Time (in milliseconds) for an election to timeout."),
      ignored("initial-election-tick-advance", BOOL),
      used("quota-backend-bytes", INT64, "0",
          "Maximum size of the backend database in bytes; 0 means the default of 2 GiB."),
      ignored("backend-batch-interval", DURATION),
      ignored("backend-batch-limit", INT),
      used("max-txn-ops", UINT, Integer.toString(ServerConfig.DEFAULT_MAX_TXN_OPS),
          "Maximum number of operations permitted in a transaction."),
      used("max-request-bytes", UINT, Long.toString(ServerConfig.DEFAULT_MAX_REQUEST_BYTES),
          "Maximum client request size in bytes the server will accept."),
      ignored("grpc-keepalive-min-time", DURATION),
      ignored("grpc-keepalive-interval", DURATION),
      ignored("grpc-keepalive-timeout", DURATION),
      used("max-concurrent-streams", UINT32, Long.toString(ServerConfig.DEFAULT_MAX_CONCURRENT_STREAMS),
          "Maximum concurrent streams that each client can open at a time."),
      // clustering
      used("initial-advertise-peer-urls", URLS, ServerConfig.DEFAULT_PEER_URL.toString(),
          "List of this member's peer URLs to advertise to the rest of the cluster."),
      used("advertise-client-urls", URLS, ServerConfig.DEFAULT_CLIENT_URL.toString(),
          "List of this member's client URLs to advertise to the public; required when"
              + " --listen-client-urls is set."),
      onlyDefault("discovery", STRING, ""),
      ignored("discovery-fallback", STRING).withChoices("exit", "proxy"),
      onlyDefault("discovery-proxy", STRING, ""),
      onlyDefault("discovery-srv", STRING, ""),
      onlyDefault("discovery-srv-name", STRING, ""),
      used("initial-cluster", STRING, "${name}=${initial-advertise-peer-urls}",
          "Initial cluster configuration for bootstrapping: name=url,... (a name may repeat)."),
      used("initial-cluster-token", STRING, ServerConfig.DEFAULT_CLUSTER_TOKEN,
          "Initial cluster token for the cluster during bootstrap."),
      used("initial-cluster-state", STRING, "new",
          "'new' when bootstrapping a new cluster, 'existing' when joining one.")
          .withChoices("new", "existing"),
      ignored("strict-reconfig-check", BOOL),
      used("enable-v2", BOOL, "false", "Accept etcd V2 client requests."),
      ignored("pre-vote", BOOL),
      // proxy
      onlyDefault("proxy", STRING, "off").withChoices("off", "readonly", "on"),
      ignored("proxy-failure-wait", UINT),
      ignored("proxy-refresh-interval", UINT),
      ignored("proxy-dial-timeout", UINT),
      ignored("proxy-write-timeout", UINT),
      ignored("proxy-read-timeout", UINT),
      // security: client and peer TLS
      used("cert-file", STRING, "", "Path to the client server TLS cert file."),
      used("key-file", STRING, "", "Path to the client server TLS key file."),
      used("client-cert-auth", BOOL, "false", "Enable client cert authentication."),
      used("client-crl-file", STRING, "", "Path to the client certificate revocation list file."),
      used("client-cert-allowed-hostname", STRING, "", "Allowed TLS hostname for client cert authentication."),
      used("trusted-ca-file", STRING, "", "Path to the client server TLS trusted CA cert file."),
      used("auto-tls", BOOL, "false", "Client TLS using generated certificates."),
      used("peer-cert-file", STRING, "", "Path to the peer server TLS cert file."),
      used("peer-key-file", STRING, "", "Path to the peer server TLS key file."),
      used("peer-client-cert-auth", BOOL, "false", "Enable peer client cert authentication."),
      used("peer-trusted-ca-file", STRING, "", "Path to the peer server TLS trusted CA file."),
      used("peer-auto-tls", BOOL, "false",
          "Peer TLS using self-generated certificates if --peer-key-file and --peer-cert-file are not provided."),
      used("peer-crl-file", STRING, "", "Path to the peer certificate revocation list file."),
      used("peer-cert-allowed-cn", STRING, "", "Required CN for client certs connecting to the peer endpoint."),
      used("peer-cert-allowed-hostname", STRING, "", "Allowed TLS hostname for inter peer authentication."),
      ignored("cipher-suites", STRING),
      ignored("experimental-peer-skip-client-san-verification", BOOL),
      ignored("cors", STRING),
      ignored("host-whitelist", STRING),
      // logging
      ignored("logger", STRING),
      ignored("log-output", STRING),
      ignored("log-outputs", STRING),
      ignored("debug", BOOL),
      ignored("log-level", STRING),
      ignored("log-package-levels", STRING),
      used("version", BOOL, "false", "Print the version and exit."),
      used("auto-compaction-retention", STRING, "0",
          "Auto compaction retention for mvcc key value store. 0 means disable auto compaction."),
      used("auto-compaction-mode", STRING, "periodic",
          "interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based "
              + "retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for "
              + "revision number based retention."),
      ignored("enable-pprof", BOOL),
      ignored("metrics", STRING),
      ignored("auth-token", STRING),
      ignored("bcrypt-cost", UINT),
      ignored("auth-token-ttl", UINT),
      ignored("enable-grpc-gateway", BOOL),
      ignored("experimental-initial-corrupt-check", BOOL),
      ignored("experimental-corrupt-check-time", DURATION),
      ignored("experimental-enable-v2v3", STRING),
      ignored("experimental-backend-bbolt-freelist-type", STRING),
      ignored("experimental-enable-lease-checkpoint", BOOL),
      ignored("experimental-enable-lease-checkpoint-persist", BOOL),
      ignored("experimental-compaction-batch-limit", INT),
      used("experimental-watch-progress-notify-interval", DURATION, "10m0s",
          "Duration of periodic watch progress notifications."),
      ignored("experimental-warning-apply-duration", DURATION),
      ignored("unsafe-no-fsync", BOOL),
      used("force-new-cluster", BOOL, "false",
          "Force to create a new one-member cluster from this member's data (its other members removed)."),
      // the file replaces every other flag and variable (EtcdConfigFile)
      used("config-file", STRING, "", "Path to the server configuration file. Note that if a configuration file is"
          + " provided, other command line flags and environment variables will be ignored."),
      // etcd's own list of flags it accepts and ignores (flags.IgnoredFlag)
      ignored("cluster-active-size", OBSOLETE),
      ignored("cluster-remove-delay", OBSOLETE),
      ignored("cluster-sync-interval", OBSOLETE),
      ignored("config", OBSOLETE),
      ignored("force", OBSOLETE),
      ignored("max-result-buffer", OBSOLETE),
      ignored("max-retry-attempts", OBSOLETE),
      ignored("peer-heartbeat-interval", OBSOLETE),
      ignored("peer-election-timeout", OBSOLETE),
      ignored("retry-interval", OBSOLETE),
      ignored("snapshot", OBSOLETE),
      ignored("v", OBSOLETE),
      ignored("vv", OBSOLETE));

  static final Map<String, EtcdFlag> BY_NAME = FLAGS.stream()
      .collect(Collectors.toMap(EtcdFlag::name, Function.identity(), (a, b) -> a,
          LinkedHashMap::new));

  private ServerFlags() {}

  /**
   * Reads {@code keel server}'s arguments and the environment as etcd 3.4 does: the command line
   * first, then {@code ETCD_<FLAG>} for every flag not on it.
   *
   * @throws CliException with etcd's text and exit code
   */
  public static Outcome parse(List<String> args, Map<String, String> env) {
    GoFlagParser.Parsed parsed = new GoFlagParser(BY_NAME).parse(args);
    if (parsed.help()) {
      return new Outcome(Action.HELP, null, List.of());
    }
    if (!parsed.rest().isEmpty()) {
      throw CliException.invalid("'" + parsed.rest().get(0) + "' is not a valid flag");
    }
    if (EtcdFlag.isTrue(parsed.values().getOrDefault("version", "false"))) {
      return new Outcome(Action.VERSION, null, List.of());
    }
    List<String> warnings = new ArrayList<>();
    Map<String, String> values = withEnvironment(parsed.values(), env, warnings);
    String configFile = values.getOrDefault("config-file", "");
    if (!configFile.isEmpty()) {
      // etcd: the file alone, every other flag and environment variable ignored
      warnings.add("keel: loading server configuration from \"" + configFile + "\"; other configuration command"
          + " line flags and environment variables will be ignored if provided");
      Map<String, String> fromFile;
      try {
        fromFile = EtcdConfigFile.read(Path.of(configFile));
      } catch (IllegalArgumentException e) {
        throw CliException.invalid(e.getMessage());
      }
      values = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : fromFile.entrySet()) {
        EtcdFlag flag = BY_NAME.get(e.getKey());
        if (flag != null) { // a key etcd reads into a setting it has no flag for: nothing Keel does
          values.put(e.getKey(), checked(flag, e.getValue(), e.getKey() + " in " + configFile));
        }
      }
    }

    List<String> ignoredFlags = new ArrayList<>();
    values.forEach((name, value) -> {
      EtcdFlag flag = BY_NAME.get(name);
      switch (flag.support()) {
        case USED -> { }
        case IGNORED -> ignoredFlags.add(flag.display());
        case ONLY_DEFAULT -> {
          if (!isDefault(flag, value)) {
            throw CliException.invalid("keel does not support " + flag.display()
                + " yet; remove it (or give etcd's default, \"" + flag.defaultValue() + "\")");
          }
          ignoredFlags.add(flag.display());
        }
      }
    });
    if (!ignoredFlags.isEmpty()) {
      warnings.add(0, "keel: ignoring etcd flags not supported yet: "
          + String.join(", ", ignoredFlags));
    }
    try {
      return new Outcome(Action.RUN, toConfig(values), List.copyOf(warnings));
    } catch (IllegalArgumentException e) {
      throw CliException.invalid(e.getMessage());
    }
  }

  /**
   * etcd's {@code flags.SetFlagsFromEnv}: a non-empty {@code ETCD_<FLAG>} sets a flag the command
   * line did not. When both are given etcd 3.4 exits (its {@code verifyEnv} is fatal); Keel lets
   * the command line win and warns with etcd's words.
   */
  private static Map<String, String> withEnvironment(Map<String, String> commandLine,
      Map<String, String> env, List<String> warnings) {
    Map<String, String> values = new LinkedHashMap<>(commandLine);
    Map<String, EtcdFlag> byEnvName = new LinkedHashMap<>();
    for (EtcdFlag flag : FLAGS) {
      byEnvName.put(flag.envName(), flag);
    }
    for (String key : new TreeSet<>(env.keySet())) {
      EtcdFlag flag = byEnvName.get(key);
      String value = env.get(key);
      if (flag == null) {
        if (key.startsWith("ETCD_")) {
          warnings.add("keel: unrecognized environment variable " + key);
        }
      } else if (flag.name().equals("version")) {
        continue; // etcd reads --version before the environment; images often set ETCD_VERSION
      } else if (commandLine.containsKey(flag.name())) {
        warnings.add("keel: conflicting environment variable \"" + key + "\" is shadowed by"
            + " corresponding command-line flag (either unset environment variable or disable flag)");
      } else if (value != null && !value.isEmpty()) {
        values.put(flag.name(), checked(flag, value, key));
      }
    }
    return values;
  }

  /** {@code value} when {@code flag} takes it; etcd's refusal naming {@code source} otherwise. */
  private static String checked(EtcdFlag flag, String value, String source) {
    String error = flag.check(value);
    if (error != null) {
      throw CliException.invalid("invalid value \"" + value + "\" for " + source + ": " + error);
    }
    return value;
  }

  private static boolean isDefault(EtcdFlag flag, String value) {
    return flag.kind().isBool()
        ? EtcdFlag.isTrue(value) == EtcdFlag.isTrue(flag.defaultValue())
        : value.equals(flag.defaultValue());
  }

  /** The mapping: every flag Keel uses, onto {@link ServerConfig.Builder}. */
  private static ServerConfig toConfig(Map<String, String> v) {
    ServerConfig.Builder b = ServerConfig.builder();
    String name = v.getOrDefault("name", ServerConfig.DEFAULT_NAME);
    b.name(name);
    String dataDir = v.getOrDefault("data-dir", "");
    if (!dataDir.isEmpty()) { // etcd: an empty --data-dir means the default
      b.dataDir(Path.of(dataDir));
    }

    // etcd's embed.Config.Validate, in its order.
    List<URI> listenPeer = urls(v, "listen-peer-urls");
    if (listenPeer != null) {
      EtcdUrls.checkBind(listenPeer);
      b.listenPeerUrls(listenPeer);
    }
    List<URI> listenClient = urls(v, "listen-client-urls");
    if (listenClient != null) {
      EtcdUrls.checkBind(listenClient);
      b.listenClientUrls(listenClient);
    }
    List<URI> listenMetrics = urls(v, "listen-metrics-urls");
    if (listenMetrics != null) {
      EtcdUrls.checkBind(listenMetrics);
      b.listenMetricsUrls(listenMetrics);
    }
    List<URI> advertisePeer = urls(v, "initial-advertise-peer-urls");
    if (advertisePeer != null) {
      EtcdUrls.checkHost("--initial-advertise-peer-urls", advertisePeer);
      b.initialAdvertisePeerUrls(advertisePeer);
    }
    List<URI> advertiseClient = urls(v, "advertise-client-urls");
    if (advertiseClient != null) {
      EtcdUrls.checkHost("--advertise-client-urls", advertiseClient);
      b.advertiseClientUrls(advertiseClient);
    } else if (listenClient != null) {
      // etcd's ErrUnsetAdvertiseClientURLsFlag: the default advertise URL (localhost) would be wrong.
      throw new IllegalArgumentException(
          "--advertise-client-urls is required when --listen-client-urls is set explicitly");
    }

    String cluster = v.get("initial-cluster");
    // etcd (UpdateDefaultClusterFromName): an initial cluster left at its default follows --name.
    boolean derived = cluster == null
        || (cluster.equals(DEFAULT_INITIAL_CLUSTER) && !name.equals(ServerConfig.DEFAULT_NAME));
    if (!derived) {
      b.initialCluster(EtcdUrls.parseCluster(cluster));
    }
    b.initialClusterToken(v.getOrDefault("initial-cluster-token", ServerConfig.DEFAULT_CLUSTER_TOKEN));
    b.initialClusterState(ServerConfig.ClusterState.parse(v.getOrDefault("initial-cluster-state", "new")));

    b.heartbeatMillis(number(v, "heartbeat-interval"));
    b.electionMillis(number(v, "election-timeout"));
    b.snapshotCount(number(v, "snapshot-count"));
    b.maxRequestBytes(number(v, "max-request-bytes"));
    long maxTxnOps = number(v, "max-txn-ops");
    if (maxTxnOps > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "invalid value \"" + v.get("max-txn-ops") + "\" for flag -max-txn-ops: value out of range");
    }
    b.maxTxnOps((int) maxTxnOps);
    b.quotaBackendBytes(number(v, "quota-backend-bytes"));
    b.enableV2(EtcdFlag.isTrue(v.getOrDefault("enable-v2", "false")));
    b.forceNewCluster(EtcdFlag.isTrue(v.getOrDefault("force-new-cluster", "false")));
    b.clientTls(new ServerConfig.TlsInfo(path(v, "cert-file"), path(v, "key-file"), path(v, "trusted-ca-file"),
        EtcdFlag.isTrue(v.getOrDefault("client-cert-auth", "false")),
        EtcdFlag.isTrue(v.getOrDefault("auto-tls", "false")), path(v, "client-crl-file"),
        null, v.get("client-cert-allowed-hostname")));
    b.peerTls(new ServerConfig.TlsInfo(path(v, "peer-cert-file"), path(v, "peer-key-file"),
        path(v, "peer-trusted-ca-file"), EtcdFlag.isTrue(v.getOrDefault("peer-client-cert-auth", "false")),
        EtcdFlag.isTrue(v.getOrDefault("peer-auto-tls", "false")), path(v, "peer-crl-file"),
        v.get("peer-cert-allowed-cn"), v.get("peer-cert-allowed-hostname")));
    b.maxConcurrentStreams(number(v, "max-concurrent-streams"));
    b.watchProgressNotifyInterval(GoDuration.parse(
        v.getOrDefault("experimental-watch-progress-notify-interval", "10m0s")));
    b.autoCompaction(AutoCompaction.parse(v.getOrDefault("auto-compaction-mode", "periodic"),
        v.getOrDefault("auto-compaction-retention", "0")));
    return b.build();
  }

  /** The URLs of a URL flag, or null when it was not given (or given empty, which etcd allows). */
  private static List<URI> urls(Map<String, String> v, String flag) {
    String value = v.get(flag);
    return value == null || value.isEmpty() ? null : EtcdUrls.parse(value);
  }

  /** A file flag's path, or null when it was not given (or given empty). */
  private static Path path(Map<String, String> v, String flag) {
    String value = v.getOrDefault(flag, "");
    return value.isEmpty() ? null : Path.of(value);
  }

  /** A numeric flag's value (checked by the parser) or its etcd default. */
  private static long number(Map<String, String> v, String flag) {
    String value = v.getOrDefault(flag, BY_NAME.get(flag).defaultValue());
    try {
      return EtcdFlag.parseGoInteger(value).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "invalid value \"" + value + "\" for flag -" + flag + ": value out of range");
    }
  }

  /** {@code keel server --help}: the flags Keel uses, then those it accepts and ignores. */
  public static String help() {
    StringBuilder out = new StringBuilder();
    out.append("Usage:\n\n")
        .append("  keel server [flags]\n    Start a Keel member. Flags and ETCD_* environment"
            + " variables as etcd 3.4's; the command line wins over the environment.\n\n")
        .append("  keel server --version\n    Show the version of keel.\n\n")
        .append("  keel server -h | --help\n    Show this help.\n\n")
        .append("Flags:\n");
    for (EtcdFlag flag : FLAGS) {
      if (flag.support() == EtcdFlag.Support.USED) {
        out.append("  ").append(flag.display()).append(" '").append(flag.defaultValue())
            .append("'\n    ").append(flag.usage()).append('\n');
      }
    }
    out.append("\nAccepted for etcd compatibility and ignored (a warning names them):\n");
    appendWrapped(out, FLAGS.stream()
        .filter(f -> f.support() == EtcdFlag.Support.IGNORED).map(EtcdFlag::display).toList());
    out.append("\nAccepted only with etcd's default value (discovery, proxy):\n");
    appendWrapped(out, FLAGS.stream()
        .filter(f -> f.support() == EtcdFlag.Support.ONLY_DEFAULT).map(EtcdFlag::display).toList());
    return out.toString();
  }

  /** Go's flag package prints this line after a syntax error, as etcd does. */
  static String usageLine() {
    return "Usage: keel server [flags]   (see 'keel server --help')";
  }

  private static void appendWrapped(StringBuilder out, List<String> words) {
    StringBuilder line = new StringBuilder(" ");
    for (String word : words) {
      if (line.length() + word.length() > 78) {
        out.append(line).append('\n');
        line = new StringBuilder(" ");
      }
      line.append(' ').append(word);
    }
    out.append(line).append('\n');
  }
}
