package keel.server.embed;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import keel.server.KeelServer;
import keel.server.ServerConfig;

/**
 * Keel inside a JVM: one member or an N-member cluster on loopback, for tests and embedding.
 *
 * <pre>{@code
 * try (EmbeddedCluster cluster = EmbeddedCluster.builder().members(3).dataDir(tmp).start()) {
 *   Client client = Client.builder().endpoints(cluster.clientEndpoints()).build();
 *   ...
 * }
 * }</pre>
 *
 * Client ports default to 0 (the kernel picks); peer ports are picked free before start, because
 * every member must know every peer address up front. Each member may get its own loopback
 * address (127.0.0.x), as the multi-node tests do.
 */
public final class EmbeddedCluster implements AutoCloseable {
  private final List<ServerConfig> configs;
  private final List<KeelServer> members;

  private EmbeddedCluster(List<ServerConfig> configs) {
    this.configs = configs;
    this.members = new ArrayList<>();
    configs.forEach(c -> members.add(null));
  }

  public static Builder builder() {
    return new Builder();
  }

  public int size() {
    return configs.size();
  }

  public ServerConfig config(int index) {
    return configs.get(index);
  }

  /** The running member at {@code index}, or empty while it is stopped. */
  public Optional<KeelServer> member(int index) {
    return Optional.ofNullable(members.get(index));
  }

  /** The client URLs of every running member, as {@code http://host:port}. */
  public List<URI> clientEndpoints() {
    List<URI> endpoints = new ArrayList<>();
    for (KeelServer member : members) {
      if (member != null) {
        endpoints.addAll(member.clientUrls());
      }
    }
    return endpoints;
  }

  /** The index of the member that is leader now, if any running member is. */
  public Optional<Integer> leaderIndex() {
    for (int i = 0; i < members.size(); i++) {
      KeelServer member = members.get(i);
      if (member != null && member.isLeader()) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  /** Starts the member at {@code index} (again) from its data dir. */
  public synchronized KeelServer start(int index) throws IOException {
    if (members.get(index) != null) {
      throw new IllegalStateException("member " + configs.get(index).name() + " is already running");
    }
    KeelServer server = KeelServer.start(configs.get(index));
    members.set(index, server);
    return server;
  }

  /** Stops the member at {@code index}; its data dir stays for a restart. */
  public synchronized void stop(int index) {
    KeelServer member = members.set(index, null);
    if (member != null) {
      member.close();
    }
  }

  private void startAll() throws IOException {
    // Members start in parallel: each waits for its peers only inside Raft, never here.
    List<Thread> starters = new ArrayList<>();
    List<IOException> failures = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      int index = i;
      Thread starter = new Thread(() -> {
        try {
          start(index);
        } catch (IOException | RuntimeException e) {
          synchronized (failures) {
            failures.add(e instanceof IOException io ? io : new IOException(e));
          }
        }
      }, "keel-embedded-start-" + configs.get(i).name());
      starters.add(starter);
      starter.start();
    }
    for (Thread starter : starters) {
      try {
        starter.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting the cluster", e);
      }
    }
    if (!failures.isEmpty()) {
      close();
      throw failures.get(0);
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < members.size(); i++) {
      stop(i);
    }
  }

  /** Flags as a builder; unset values are etcd's defaults. */
  public static final class Builder {
    private int members = 1;
    private Path dataDir;
    private String namePrefix = "m";
    private boolean addressPerMember;
    private String clusterToken = "keel-embedded";
    private UnaryOperator<ServerConfig.Builder> flags = UnaryOperator.identity();

    public Builder members(int members) {
      if (members < 1) {
        throw new IllegalArgumentException("a cluster has at least one member, not " + members);
      }
      this.members = members;
      return this;
    }

    /** Root under which each member gets {@code <name>.keel}; a temporary directory if unset. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    public Builder namePrefix(String prefix) {
      this.namePrefix = prefix;
      return this;
    }

    /** Member i listens on 127.0.0.(i+1) instead of all on 127.0.0.1. */
    public Builder addressPerMember(boolean enabled) {
      this.addressPerMember = enabled;
      return this;
    }

    public Builder clusterToken(String token) {
      this.clusterToken = token;
      return this;
    }

    /** Any other flag, applied to every member's config (election timeout, snapshot count, ...). */
    public Builder flags(UnaryOperator<ServerConfig.Builder> flags) {
      this.flags = flags;
      return this;
    }

    public EmbeddedCluster start() throws IOException {
      Path root = dataDir != null ? dataDir : Files.createTempDirectory("keel-embedded");
      Map<String, List<URI>> cluster = new LinkedHashMap<>();
      List<String> hosts = new ArrayList<>();
      for (int i = 0; i < members; i++) {
        String host = addressPerMember ? "127.0.0." + (i + 1) : "127.0.0.1";
        hosts.add(host);
        cluster.put(namePrefix + (i + 1), List.of(URI.create("http://" + host + ":" + FreePorts.allocate(host))));
      }
      List<ServerConfig> configs = new ArrayList<>();
      int i = 0;
      for (Map.Entry<String, List<URI>> member : cluster.entrySet()) {
        String host = hosts.get(i++);
        ServerConfig.Builder builder = ServerConfig.builder()
            .name(member.getKey())
            .dataDir(root.resolve(member.getKey() + ".keel"))
            .listenClientUrls(List.of(URI.create("http://" + host + ":0")))
            .advertiseClientUrls(List.of(URI.create("http://" + host + ":0")))
            .listenPeerUrls(member.getValue())
            .initialAdvertisePeerUrls(member.getValue())
            .initialCluster(cluster)
            .initialClusterToken(clusterToken);
        configs.add(flags.apply(builder).build());
      }
      EmbeddedCluster embedded = new EmbeddedCluster(configs);
      embedded.startAll();
      return embedded;
    }
  }
}
