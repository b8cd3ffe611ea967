package keel.server;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import keel.server.cli.EtcdUrls;
import keel.server.compactor.AutoCompaction;

/**
 * One member's configuration, in etcd's terms and with etcd's defaults (etcd 3.4
 * {@code embed.NewConfig}). The command line, the {@code ETCD_*} environment and the embedding
 * API all end here; nothing else reads flags.
 *
 * @param name                 member name ({@code --name}, default {@code default})
 * @param dataDir              {@code --data-dir}; default {@code <name>.keel} in the working directory
 * @param listenClientUrls     {@code --listen-client-urls}; port 0 picks a free port
 * @param advertiseClientUrls  {@code --advertise-client-urls}
 * @param listenPeerUrls       {@code --listen-peer-urls}
 * @param initialAdvertisePeerUrls {@code --initial-advertise-peer-urls}
 * @param initialCluster       {@code --initial-cluster}: member name to its peer URLs, in the given order
 * @param initialClusterToken  {@code --initial-cluster-token}, part of every member id
 * @param initialClusterState  {@code new} or {@code existing}
 * @param heartbeatMillis      {@code --heartbeat-interval}
 * @param electionMillis       {@code --election-timeout}
 * @param snapshotCount        {@code --snapshot-count}: applied entries between snapshots
 * @param maxRequestBytes      {@code --max-request-bytes}
 * @param maxTxnOps            {@code --max-txn-ops}
 * @param quotaBackendBytes    {@code --quota-backend-bytes}; 0 means etcd's default (2 GiB)
 * @param enableV2             {@code --enable-v2}: serve the v2 API ({@code /v2/keys}, {@code /v2/stats},
 *                             {@code /v2/members}, {@code /v2/machines}); off by default, as in etcd 3.4
 * @param autoCompaction       {@code --auto-compaction-mode} and {@code --auto-compaction-retention}
 * @param listenMetricsUrls    {@code --listen-metrics-urls}: extra listeners for {@code /metrics} and
 *                             {@code /health} only (empty: none, as etcd's default)
 * @param watchProgressNotifyInterval {@code --experimental-watch-progress-notify-interval}: how often
 *                             watchers that asked for progress_notify hear of the revision (etcd: 10 minutes)
 * @param forceNewCluster      {@code --force-new-cluster}: a member restarted on its data becomes a
 *                             cluster of one, the other members removed (ignored on a fresh data dir, as etcd)
 * @param clientTls            the client port's TLS ({@code --cert-file}, {@code --key-file},
 *                             {@code --trusted-ca-file}, {@code --client-cert-auth}, {@code --auto-tls});
 *                             used by its https URLs
 * @param peerTls              the peer port's TLS ({@code --peer-cert-file}, {@code --peer-key-file}, ...,
 *                             {@code --peer-auto-tls}); used when the peer URL is https
 * @param maxConcurrentStreams {@code --max-concurrent-streams}: HTTP/2 streams one client connection may
 *                             have open at once (etcd's default: 2^32 - 1); a client over it waits
 */
public record ServerConfig(
    String name,
    Path dataDir,
    List<URI> listenClientUrls,
    List<URI> advertiseClientUrls,
    List<URI> listenPeerUrls,
    List<URI> initialAdvertisePeerUrls,
    Map<String, List<URI>> initialCluster,
    String initialClusterToken,
    ClusterState initialClusterState,
    long heartbeatMillis,
    long electionMillis,
    long snapshotCount,
    long maxRequestBytes,
    int maxTxnOps,
    long quotaBackendBytes,
    boolean enableV2,
    AutoCompaction autoCompaction,
    List<URI> listenMetricsUrls,
    Duration watchProgressNotifyInterval,
    boolean forceNewCluster,
    TlsInfo clientTls,
    TlsInfo peerTls,
    long maxConcurrentStreams) {

  public static final String DEFAULT_NAME = "default";
  /** etcd's default {@code --max-concurrent-streams}: math.MaxUint32. */
  public static final long DEFAULT_MAX_CONCURRENT_STREAMS = 0xFFFFFFFFL;
  public static final URI DEFAULT_CLIENT_URL = URI.create("http://localhost:2379");
  public static final URI DEFAULT_PEER_URL = URI.create("http://localhost:2380");
  public static final String DEFAULT_CLUSTER_TOKEN = "etcd-cluster";
  public static final long DEFAULT_HEARTBEAT_MILLIS = 100;
  public static final long DEFAULT_ELECTION_MILLIS = 1000;
  public static final long DEFAULT_SNAPSHOT_COUNT = 100_000;
  public static final long DEFAULT_MAX_REQUEST_BYTES = 1536 * 1024;
  public static final int DEFAULT_MAX_TXN_OPS = 128;
  public static final long DEFAULT_QUOTA_BACKEND_BYTES = 2L * 1024 * 1024 * 1024;
  public static final Duration DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL = Duration.ofMinutes(10);
  /** etcd's {@code maxElectionMs}. */
  public static final long MAX_ELECTION_MILLIS = 50_000;

  /** etcd's {@code --initial-cluster-state}. */
  public enum ClusterState {
    NEW, EXISTING;

    public static ClusterState parse(String text) {
      return switch (text) {
        case "new" -> NEW;
        case "existing" -> EXISTING;
        default -> throw new IllegalArgumentException(
            "unexpected initial-cluster-state \"" + text + "\" (expected \"new\" or \"existing\")");
      };
    }
  }

  /**
   * etcd's TLSInfo, of the client port or of the peer port: the certificate and key its https
   * URLs serve (and a member presents when it dials another), and the CA the other side's
   * certificate must be signed by. As etcd's: a trusted CA file alone also makes a client
   * certificate required. {@code autoTls} ({@code --auto-tls}, {@code --peer-auto-tls}): a
   * self-signed certificate when no certificate file is given, which stands for every other
   * setting, as etcd's SelfCert does. {@code crlFile}: certificates it revokes are refused.
   * {@code allowedCn}, {@code allowedHostname} ({@code --peer-cert-allowed-cn}, {@code
   * --peer-cert-allowed-hostname}, {@code --client-cert-allowed-hostname}): a certificate the
   * other side presents must also carry that common name, or be valid for that host name.
   */
  public record TlsInfo(Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth, boolean autoTls,
      Path crlFile, String allowedCn, String allowedHostname) {
    public static final TlsInfo NONE = new TlsInfo(null, null, null, false, false, null, null, null);

    public TlsInfo {
      allowedCn = allowedCn == null || allowedCn.isEmpty() ? null : allowedCn;
      allowedHostname = allowedHostname == null || allowedHostname.isEmpty() ? null : allowedHostname;
    }

    /** etcd's TLSInfo.Empty: neither a certificate nor a key file given. */
    public boolean isEmpty() {
      return certFile == null && keyFile == null;
    }

    /** Whether a client must present a certificate signed by the trusted CA (etcd: either flag). */
    public boolean requiresClientCertificate() {
      return clientCertAuth || trustedCaFile != null;
    }

    /** Whether a self-signed certificate stands for the files ({@code --auto-tls} without them). */
    public boolean selfSigned() {
      return autoTls && isEmpty();
    }

    /**
     * etcd's SelfCert: the self-signed pair and nothing else (no CA, no client certificate
     * required, no revocation list), its certificates not verified when the member dials.
     */
    public TlsInfo withSelfCert(Path cert, Path key) {
      return new TlsInfo(cert, key, null, false, true, null, null, null);
    }
  }

  public ServerConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(clientTls, "clientTls");
    Objects.requireNonNull(peerTls, "peerTls");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(autoCompaction, "autoCompaction");
    if (watchProgressNotifyInterval.isNegative() || watchProgressNotifyInterval.isZero()) {
      throw new IllegalArgumentException("--experimental-watch-progress-notify-interval must be positive (set to "
          + watchProgressNotifyInterval + ")");
    }
    listenClientUrls = List.copyOf(listenClientUrls);
    listenMetricsUrls = List.copyOf(listenMetricsUrls);
    advertiseClientUrls = List.copyOf(advertiseClientUrls);
    listenPeerUrls = List.copyOf(listenPeerUrls);
    initialAdvertisePeerUrls = List.copyOf(initialAdvertisePeerUrls);
    Map<String, List<URI>> cluster = new LinkedHashMap<>();
    initialCluster.forEach((member, urls) -> cluster.put(member, List.copyOf(urls)));
    initialCluster = java.util.Collections.unmodifiableMap(cluster);
    // etcd's embed.Config.Validate checks the timing flags before bootstrap looks for the member.
    if (heartbeatMillis <= 0) {
      throw new IllegalArgumentException(
          "--heartbeat-interval must be >0 (set to " + heartbeatMillis + "ms)");
    }
    if (electionMillis <= 0) {
      throw new IllegalArgumentException(
          "--election-timeout must be >0 (set to " + electionMillis + "ms)");
    }
    if (electionMillis < 5 * heartbeatMillis) {
      throw new IllegalArgumentException("--election-timeout[" + electionMillis
          + "ms] should be at least as 5 times as --heartbeat-interval[" + heartbeatMillis + "ms]");
    }
    if (electionMillis > MAX_ELECTION_MILLIS) {
      throw new IllegalArgumentException("--election-timeout[" + electionMillis
          + "ms] is too long, and should be set less than " + MAX_ELECTION_MILLIS + "ms");
    }
    if (!initialCluster.containsKey(name)) {
      throw new IllegalArgumentException("couldn't find local name \"" + name
          + "\" in the initial cluster configuration");
    }
    for (URI url : listenClientUrls) {
      if (EtcdUrls.isSecure(url) && clientTls.isEmpty() && !clientTls.autoTls()) {
        throw new IllegalArgumentException("TLS key/cert (--cert-file, --key-file) must be provided for client url "
            + url + " with HTTPS scheme");
      }
    }
    for (URI url : Stream.concat(listenPeerUrls.stream(), initialAdvertisePeerUrls.stream()).toList()) {
      if (EtcdUrls.isUnix(url)) {
        throw new IllegalArgumentException("keel does not support unix socket peer URLs yet (" + url
            + "): members reach each other over TCP");
      }
    }
    for (URI url : listenPeerUrls) {
      if ("https".equals(url.getScheme()) && peerTls.isEmpty() && !peerTls.autoTls()) {
        throw new IllegalArgumentException("cannot listen on TLS for " + url.getAuthority()
            + ": KeyFile and CertFile are not presented");
      }
    }
    for (TlsInfo tls : List.of(clientTls, peerTls)) {
      if (tls.allowedCn() != null && tls.allowedHostname() != null && !tls.isEmpty()) {
        throw new IllegalArgumentException("AllowedCN and AllowedHostname are mutually exclusive (cn=\""
            + tls.allowedCn() + "\", hostname=\"" + tls.allowedHostname() + "\")");
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The peer URLs the other members use to reach this one. */
  public List<URI> peerUrls() {
    return initialCluster.get(name);
  }

  /**
   * This configuration for a member that joins the existing cluster whose members (this one among
   * them, as {@code member add} recorded it) are {@code cluster}: {@code --initial-cluster-state
   * existing} with that {@code --initial-cluster}, everything else the same.
   */
  public ServerConfig joining(Map<String, List<URI>> cluster) {
    if (!cluster.containsKey(name)) {
      throw new IllegalArgumentException("the cluster to join does not name this member (" + name + "): " + cluster);
    }
    return new ServerConfig(name, dataDir, listenClientUrls, advertiseClientUrls, listenPeerUrls,
        initialAdvertisePeerUrls, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(cluster)),
        initialClusterToken, ClusterState.EXISTING,
        heartbeatMillis, electionMillis, snapshotCount, maxRequestBytes, maxTxnOps, quotaBackendBytes, enableV2,
        autoCompaction, listenMetricsUrls, watchProgressNotifyInterval, forceNewCluster, clientTls,
          peerTls, maxConcurrentStreams);
  }

  /** A builder with etcd's defaults; unset URLs follow the unset-flag rules of etcd. */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private Path dataDir;
    private List<URI> listenClientUrls = List.of(DEFAULT_CLIENT_URL);
    private List<URI> advertiseClientUrls = List.of(DEFAULT_CLIENT_URL);
    private List<URI> listenPeerUrls = List.of(DEFAULT_PEER_URL);
    private List<URI> initialAdvertisePeerUrls = List.of(DEFAULT_PEER_URL);
    private Map<String, List<URI>> initialCluster;
    private String initialClusterToken = DEFAULT_CLUSTER_TOKEN;
    private ClusterState initialClusterState = ClusterState.NEW;
    private long heartbeatMillis = DEFAULT_HEARTBEAT_MILLIS;
    private long electionMillis = DEFAULT_ELECTION_MILLIS;
    private long snapshotCount = DEFAULT_SNAPSHOT_COUNT;
    private long maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private int maxTxnOps = DEFAULT_MAX_TXN_OPS;
    private long quotaBackendBytes = DEFAULT_QUOTA_BACKEND_BYTES;
    private boolean enableV2;
    private AutoCompaction autoCompaction = AutoCompaction.OFF;
    private List<URI> listenMetricsUrls = List.of();
    private Duration watchProgressNotifyInterval = DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL;
    private boolean forceNewCluster;
    private TlsInfo clientTls = TlsInfo.NONE;
    private TlsInfo peerTls = TlsInfo.NONE;
    private long maxConcurrentStreams = DEFAULT_MAX_CONCURRENT_STREAMS;

    public Builder name(String name) { this.name = name; return this; }
    public Builder dataDir(Path dataDir) { this.dataDir = dataDir; return this; }
    public Builder listenClientUrls(List<URI> urls) { this.listenClientUrls = urls; return this; }
    public Builder advertiseClientUrls(List<URI> urls) { this.advertiseClientUrls = urls; return this; }
    public Builder listenPeerUrls(List<URI> urls) { this.listenPeerUrls = urls; return this; }
    public Builder initialAdvertisePeerUrls(List<URI> urls) { this.initialAdvertisePeerUrls = urls; return this; }
    public Builder initialCluster(Map<String, List<URI>> cluster) { this.initialCluster = cluster; return this; }
    public Builder initialClusterToken(String token) { this.initialClusterToken = token; return this; }
    public Builder initialClusterState(ClusterState state) { this.initialClusterState = state; return this; }
    public Builder heartbeatMillis(long millis) { this.heartbeatMillis = millis; return this; }
    public Builder electionMillis(long millis) { this.electionMillis = millis; return this; }
    public Builder snapshotCount(long count) { this.snapshotCount = count; return this; }
    public Builder maxRequestBytes(long bytes) { this.maxRequestBytes = bytes; return this; }
    public Builder maxTxnOps(int ops) { this.maxTxnOps = ops; return this; }
    public Builder quotaBackendBytes(long bytes) { this.quotaBackendBytes = bytes; return this; }
    public Builder enableV2(boolean enable) { this.enableV2 = enable; return this; }
    public Builder autoCompaction(AutoCompaction compaction) { this.autoCompaction = compaction; return this; }
    public Builder listenMetricsUrls(List<URI> urls) { this.listenMetricsUrls = urls; return this; }
    public Builder watchProgressNotifyInterval(Duration interval) { this.watchProgressNotifyInterval = interval; return this; }
    public Builder forceNewCluster(boolean force) { this.forceNewCluster = force; return this; }
    public Builder clientTls(TlsInfo tls) { this.clientTls = tls; return this; }
    public Builder peerTls(TlsInfo tls) { this.peerTls = tls; return this; }
    public Builder maxConcurrentStreams(long streams) { this.maxConcurrentStreams = streams; return this; }

    public ServerConfig build() {
      Path dir = dataDir != null ? dataDir : Path.of(name + ".keel");
      // etcd: with no --initial-cluster, the cluster is this member alone at its advertised peer URLs.
      Map<String, List<URI>> cluster = initialCluster != null
          ? initialCluster : Map.of(name, initialAdvertisePeerUrls);
      long quota = quotaBackendBytes == 0 ? DEFAULT_QUOTA_BACKEND_BYTES : quotaBackendBytes;
      return new ServerConfig(name, dir, listenClientUrls, advertiseClientUrls, listenPeerUrls,
          initialAdvertisePeerUrls, cluster, initialClusterToken, initialClusterState,
          heartbeatMillis, electionMillis, snapshotCount, maxRequestBytes, maxTxnOps, quota, enableV2,
          autoCompaction, listenMetricsUrls, watchProgressNotifyInterval, forceNewCluster, clientTls,
          peerTls, maxConcurrentStreams);
    }
  }
}
