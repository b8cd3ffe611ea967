package keel.testing;

import java.util.List;

/**
 * Real etcd 3.4 (Debian's {@code /usr/bin/etcd}) as a {@link ClusterProcesses}: the reference Keel
 * is compared against.
 *
 * <pre>
 * try (ClusterProcesses etcd = RealEtcd.start(3)) { ... etcd.clientEndpoints() ... }
 * </pre>
 */
public final class RealEtcd {
  public static final String BINARY = System.getProperty("keel.test.etcdBinary", "/usr/bin/etcd");

  private RealEtcd() {}

  /** The command prefix: just the binary. */
  public static List<String> command() {
    return List.of(BINARY);
  }

  /** A builder for an etcd cluster, to choose ports, hosts or extra flags. */
  public static ClusterProcesses.Builder builder() {
    return ClusterProcesses.builder(command());
  }

  /** {@code members} (1 or 3) etcd members on 127.0.0.1 with free ports, started and healthy. */
  public static ClusterProcesses start(int members) {
    return builder().size(members).start();
  }
}
