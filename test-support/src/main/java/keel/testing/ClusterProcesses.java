package keel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A cluster of member processes started by etcd's own flags, whatever the binary: {@link RealEtcd}
 * passes {@code /usr/bin/etcd}, Keel passes {@code java -cp ... keel.server.cli.KeelMain server}.
 * Each member gets {@code --name --data-dir --listen-client-urls --advertise-client-urls
 * --listen-peer-urls --initial-advertise-peer-urls --initial-cluster --initial-cluster-token
 * --initial-cluster-state new}, then the builder's extra flags.
 *
 * <pre>
 * try (ClusterProcesses etcd = RealEtcd.builder().size(3).start()) {
 *   Etcdctl.of(etcd.clientEndpoints()).run("put", "k", "v");
 *   etcd.member(0).kill9();
 * }
 * </pre>
 *
 * {@link #close()} stops every member (SIGTERM, then SIGKILL) and deletes the data dirs; logs stay
 * under {@code target/process-logs/<cluster>/<member>.log}.
 */
public final class ClusterProcesses implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(60);

  private final String clusterName;
  /** The founding members, then any that {@link #join}ed, in that order. */
  private final List<MemberProcess> members;
  private final Path dataRoot;
  private final Builder builder;

  private ClusterProcesses(String clusterName, List<MemberProcess> members, Path dataRoot, Builder builder) {
    this.clusterName = clusterName;
    this.members = new java.util.concurrent.CopyOnWriteArrayList<>(members);
    this.dataRoot = dataRoot;
    this.builder = builder;
  }

  public static Builder builder(List<String> commandPrefix) {
    return new Builder(commandPrefix);
  }

  public String clusterName() {
    return clusterName;
  }

  public List<MemberProcess> members() {
    return List.copyOf(members);
  }

  /** An address with free ports on this cluster's host, for a member to add ({@code etcdctl member add}). */
  public MemberAddress newMemberAddress(String name) {
    return MemberAddress.withFreePorts(name, builder.host);
  }

  /**
   * Starts a member that joins this running cluster, as {@code etcdctl member add} tells an
   * operator to: {@code --initial-cluster-state existing} and the {@code --initial-cluster} it
   * printed, with the builder's extra flags. Stopped by {@link #close()} like the others; not
   * waited for.
   */
  public MemberProcess join(MemberAddress address, String initialCluster) {
    MemberProcess member = builder.member(address, builder.peerUrl(address), initialCluster, "existing", dataRoot);
    members.add(member);
    member.start();
    return member;
  }

  public MemberProcess member(int index) {
    return members.get(index);
  }

  /** {@code 127.0.0.1:P1,127.0.0.1:P2,...}, for etcdctl's {@code --endpoints}. */
  public String clientEndpoints() {
    return members.stream().map(m -> m.address().clientEndpoint()).collect(Collectors.joining(","));
  }

  /** Client URLs ({@code http://127.0.0.1:P}), for jetcd's {@code Client.builder().endpoints(...)}. */
  public List<String> clientUrls() {
    return members.stream().map(m -> m.address().clientUrl()).toList();
  }

  /** Waits (scaled deadline) until {@code etcdctl endpoint health} succeeds on every running member. */
  public void awaitHealthy() {
    awaitHealthy(members.stream().filter(MemberProcess::isAlive).toList());
  }

  /**
   * Waits (scaled deadline) until {@code etcdctl endpoint health} succeeds on each of {@code
   * which}; fails at once, with the log tail, if one of them exits.
   */
  public void awaitHealthy(List<MemberProcess> which) {
    String endpoints =
        which.stream().map(m -> m.address().clientEndpoint()).collect(Collectors.joining(","));
    Etcdctl etcdctl = Etcdctl.of(endpoints).withTimeout(Duration.ofSeconds(10));
    Deadlines.await(clusterName + " healthy at " + endpoints, STARTUP)
        .ignoreExceptionsMatching(e -> !(e instanceof MemberDied))
        .until(
            () -> {
              for (MemberProcess m : which) {
                if (!m.isAlive()) {
                  throw new MemberDied(m);
                }
              }
              return etcdctl.run("endpoint", "health", "--command-timeout=2s", "--dial-timeout=1s")
                  .succeeded();
            });
  }

  /** Stops every member, then deletes the data dirs. Safe to call twice. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (MemberProcess m : members) {
      try {
        m.close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure; // keep the data dirs: a member may still be writing to them
    }
    TempDirs.delete(dataRoot);
  }

  /** A member exited while the cluster was expected to come up: no point waiting further. */
  static final class MemberDied extends RuntimeException {
    MemberDied(MemberProcess m) {
      super(m + " exited; log " + m.logFile() + " ends with:\n" + m.logTail(4000));
    }
  }

  /** The name of member {@code index} (from 0) when the builder names them: m1, m2, ... */
  public static String memberName(int index) {
    return "m" + (index + 1);
  }

  public static final class Builder {
    private final List<String> commandPrefix;
    private final List<MemberAddress> addresses = new ArrayList<>();
    private final List<String> extraFlags = new ArrayList<>();
    private final Map<String, String> environment = new HashMap<>();
    private final Map<String, List<String>> wrappers = new HashMap<>();
    private final Map<String, List<String>> memberFlags = new HashMap<>();
    private final Map<String, String> advertisedPeerUrls = new HashMap<>();
    private int size = 3;
    private String peerScheme = "http";
    private String host = "127.0.0.1";
    private String clusterName = "c-" + UUID.randomUUID().toString().substring(0, 8);
    private Path logDir = Path.of(System.getProperty("keel.test.logDir", "target/process-logs"));

    private Builder(List<String> commandPrefix) {
      if (commandPrefix.isEmpty()) {
        throw new IllegalArgumentException("empty command prefix");
      }
      this.commandPrefix = List.copyOf(commandPrefix);
    }

    /** Members m1..mN on {@link #host} with free ports; ignored when {@link #member} was called. */
    public Builder size(int size) {
      this.size = size;
      return this;
    }

    /** The loopback host for {@link #size} members; default 127.0.0.1. */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** One member at a caller-chosen address; call once per member, in order. */
    public Builder member(MemberAddress address) {
      addresses.add(address);
      return this;
    }

    /**
     * Peer URLs with {@code https} instead of {@code http}, for members given peer TLS flags
     * ({@code --peer-cert-file}..., {@code --peer-auto-tls}) by {@link #extraFlags}.
     */
    public Builder httpsPeers() {
      this.peerScheme = "https";
      return this;
    }

    /** Flags appended after the standard ones on every member (e.g. {@code --heartbeat-interval=50}). */
    public Builder extraFlags(String... flags) {
      extraFlags.addAll(List.of(flags));
      return this;
    }

    /** Flags appended on member {@code memberName} only, after the {@link #extraFlags}. */
    public Builder memberFlags(String memberName, String... flags) {
      memberFlags.computeIfAbsent(memberName, n -> new ArrayList<>()).addAll(List.of(flags));
      return this;
    }

    /**
     * Runs member {@code memberName} with {@code wrapper} before its command line, e.g. {@code ip
     * netns exec <ns>} to start it in a network namespace ({@code NetnsNetwork.commandPrefix}). The
     * wrapper must exec the command (keep its pid), as {@code ip netns exec} does, so that kill -9
     * and SIGSTOP reach the member.
     */
    public Builder wrapper(String memberName, List<String> wrapper) {
      wrappers.put(memberName, List.copyOf(wrapper));
      return this;
    }

    /**
     * Member {@code memberName} still listens on its {@link MemberAddress#peerUrl()} ({@code
     * --listen-peer-urls}) but tells the others to dial {@code peerUrl} ({@code
     * --initial-advertise-peer-urls} and its {@code --initial-cluster} entry): e.g. a {@code
     * DelayProxy} that forwards to the real peer port.
     */
    public Builder advertisePeerUrl(String memberName, String peerUrl) {
      advertisedPeerUrls.put(memberName, peerUrl);
      return this;
    }

    public Builder environment(String name, String value) {
      environment.put(name, value);
      return this;
    }

    /** Names the cluster: it is the {@code --initial-cluster-token} and the log directory name. */
    public Builder clusterName(String clusterName) {
      this.clusterName = clusterName;
      return this;
    }

    public Builder logDir(Path logDir) {
      this.logDir = logDir;
      return this;
    }

    /** Starts every member, waits until all are healthy; on failure stops what it started. */
    public ClusterProcesses start() {
      ClusterProcesses cluster = create();
      try {
        cluster.members().forEach(MemberProcess::start);
        cluster.awaitHealthy();
        return cluster;
      } catch (RuntimeException | Error e) {
        try {
          cluster.close();
        } catch (RuntimeException closing) {
          e.addSuppressed(closing);
        }
        throw e;
      }
    }

    private String advertisedPeerUrl(MemberAddress a) {
      return advertisedPeerUrls.getOrDefault(a.name(), peerUrl(a));
    }

    /** Where {@code a} listens for its peers, in this cluster's peer scheme. */
    String peerUrl(MemberAddress a) {
      return peerScheme + "://" + a.host() + ":" + a.peerPort();
    }

    private MemberProcess member(MemberAddress a, String advertisedPeerUrl, String initialCluster, String state,
        Path dataRoot) {
      Path dataDir = dataRoot.resolve(a.name());
      List<String> flags = new ArrayList<>(List.of(
          "--name", a.name(),
          "--data-dir", dataDir.toString(),
          "--listen-client-urls", a.clientUrl(),
          "--advertise-client-urls", a.clientUrl(),
          "--listen-peer-urls", peerUrl(a),
          "--initial-advertise-peer-urls", advertisedPeerUrl,
          "--initial-cluster", initialCluster,
          "--initial-cluster-token", clusterName,
          "--initial-cluster-state", state));
      flags.addAll(extraFlags);
      flags.addAll(memberFlags.getOrDefault(a.name(), List.of()));
      List<String> command = new ArrayList<>(wrappers.getOrDefault(a.name(), List.of()));
      command.addAll(commandPrefix);
      Path clusterLogs = logDir.toAbsolutePath().resolve(clusterName);
      return new MemberProcess(a, command, flags, environment, dataDir, clusterLogs.resolve(a.name() + ".log"));
    }

    /**
     * The cluster with its flags worked out and nothing started: the caller starts its members and
     * waits for them (when their client URLs are not the standard http ones {@link #start} waits on).
     */
    public ClusterProcesses create() {
      List<MemberAddress> chosen = new ArrayList<>(addresses);
      if (chosen.isEmpty()) {
        for (int i = 0; i < size; i++) {
          chosen.add(MemberAddress.withFreePorts(memberName(i), host));
        }
      }
      String initialCluster = chosen.stream()
          .map(a -> a.name() + "=" + advertisedPeerUrl(a))
          .collect(Collectors.joining(","));
      Path dataRoot;
      try {
        dataRoot = Files.createTempDirectory("keel-" + clusterName + "-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      List<MemberProcess> members = new ArrayList<>();
      for (MemberAddress a : chosen) {
        members.add(member(a, advertisedPeerUrl(a), initialCluster, "new", dataRoot));
      }
      ClusterProcesses cluster = new ClusterProcesses(clusterName, members, dataRoot, this);
      MemberLogsOnFailure.record(cluster);
      return cluster;
    }
  }
}
