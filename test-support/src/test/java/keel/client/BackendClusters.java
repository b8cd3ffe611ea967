package keel.client;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import keel.testing.ClusterProcesses;
import keel.testing.Leaders;
import keel.testing.MemberProcess;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One cluster per {@link Backend} and size, shared by every client-lib test class of the test run
 * (started the first time a test asks for it, stopped when the run ends: it lives in JUnit's root
 * store), with a shared jetcd client on all its members. A member a test left stopped is restarted
 * on the next {@link #cluster} call. Tests keep apart by {@link #unique}, and a test that kills or
 * pauses members restores them before it ends.
 *
 * <pre>{@code
 * @RegisterExtension static final BackendClusters clusters = BackendClusters.ofSize(3);
 *
 * @ParameterizedTest @EnumSource(Backend.class)
 * void something(Backend backend) { Client client = clusters.client(backend); ... }
 * }</pre>
 */
public final class BackendClusters implements BeforeAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BackendClusters.class);

  private final int size;
  private volatile Pool pool;
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final AtomicLong names = new AtomicLong();

  private BackendClusters(int size) {
    this.size = size;
  }

  public static BackendClusters ofSize(int size) {
    return new BackendClusters(size);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    pool = context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent("clusters-of-" + size, k -> new Pool(size), Pool.class);
  }

  /** The backend's cluster, started (and healthy) on first use; stopped members restarted. */
  public ClusterProcesses cluster(Backend backend) {
    return pool.cluster(backend);
  }

  /** A jetcd client on every member of the backend's cluster, shared by the tests. */
  public Client client(Backend backend) {
    return pool.client(backend);
  }
  /** A new jetcd client on every member (the caller closes it). */
  public Client newClient(Backend backend) {
    return newClient(cluster(backend).clientUrls());
  }

  /** A new jetcd client on the given client URLs (the caller closes it). */
  public static Client newClient(List<String> urls) {
    return Client.builder().endpoints(urls.toArray(String[]::new)).build();
  }

  /** {@code what-<run>-<n>}: a name no other test of this run uses. */
  public String unique(String what) {
    return what + "-" + run + "-" + names.incrementAndGet();
  }

  /** The index of the member that is leader, once one is (as etcdctl endpoint status tells it). */
  public int awaitLeader(Backend backend) {
    return Leaders.await(client(backend), cluster(backend).clientUrls());
  }

  public static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  public static String text(ByteSequence bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The clusters of one size, closed when the test run ends. */
  private static final class Pool implements AutoCloseable {
    private final int size;
    private final Map<Backend, ClusterProcesses> clusters = new EnumMap<>(Backend.class);
    private final Map<Backend, Client> clients = new EnumMap<>(Backend.class);

    Pool(int size) {
      this.size = size;
    }

    synchronized ClusterProcesses cluster(Backend backend) {
      ClusterProcesses cluster = clusters.computeIfAbsent(backend, b -> b.start(size));
      List<MemberProcess> stopped = cluster.members().stream().filter(m -> !m.isAlive()).toList();
      if (!stopped.isEmpty()) {
        stopped.forEach(MemberProcess::start);
        cluster.awaitHealthy();
      }
      return cluster;
    }

    synchronized Client client(Backend backend) {
      ClusterProcesses cluster = cluster(backend);
      return clients.computeIfAbsent(backend, b -> newClient(cluster.clientUrls()));
    }

    @Override
    public synchronized void close() {
      RuntimeException failure = null;
      clients.values().forEach(Client::close);
      clients.clear();
      for (ClusterProcesses cluster : clusters.values()) {
        try {
          cluster.close();
        } catch (RuntimeException e) {
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
      clusters.clear();
      if (failure != null) {
        throw failure;
      }
    }
  }
}
