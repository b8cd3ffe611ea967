package keel.testing;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Finds the leader the way etcdctl's endpoint status does: the member whose id is the leader id. */
final class Leaders {
  private Leaders() {}

  /** The index in {@code endpoints} of the member that is leader, once one is. */
  static int await(List<URI> endpoints) {
    return Deadlines.await("a leader", Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> leaderIndex(endpoints), index -> index >= 0);
  }

  static int leaderIndex(List<URI> endpoints) throws Exception {
    try (Client client = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build()) {
      for (int i = 0; i < endpoints.size(); i++) {
        StatusResponse status = client.getMaintenanceClient().statusMember(endpoints.get(i).toString())
            .get(2, TimeUnit.SECONDS);
        if (status.getLeader() != 0 && status.getLeader() == status.getHeader().getMemberId()) {
          return i;
        }
      }
    }
    return -1;
  }
}
