package keel.client;

import keel.testing.ClusterProcesses;
import keel.testing.KeelProcesses;
import keel.testing.RealEtcd;

/** The two servers every client-lib cluster test runs against: Keel's member processes and real etcd 3.4. */
public enum Backend {
  KEEL,
  ETCD;

  /** Starts {@code size} members of this backend on loopback with free ports, healthy. */
  public ClusterProcesses start(int size) {
    return switch (this) {
      case KEEL -> KeelProcesses.builder().size(size).start();
      case ETCD -> RealEtcd.builder().size(size).start();
    };
  }
}
