package keel.testing;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds the Raft leader the way etcdctl's endpoint status does: the member whose own id is the
 * leader id it reports. Works on Keel and etcd alike; members that do not answer are passed over.
 */
public final class Leaders {
  private Leaders() {}

  /** The index in {@code endpoints} of the member that is leader, once one is. */
  public static int await(List<URI> endpoints) {
    try (Client client = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build()) {
      return await(client, endpoints.stream().map(URI::toString).toList());
    }
  }

  /** The index in {@code clientUrls} of the member that is leader, once one is, asked through {@code client}. */
  public static int await(Client client, List<String> clientUrls) {
    return Deadlines.await("a leader among " + clientUrls, Duration.ofSeconds(30))
        .until(() -> leaderIndex(client, clientUrls), index -> index >= 0);
  }

  /** The index of the member that says it leads now, or -1 (no leader, or it does not answer). */
  public static int leaderIndex(Client client, List<String> clientUrls) {
    return leaderIndex(client, clientUrls, Duration.ofSeconds(2));
  }

  /** {@link #leaderIndex(Client, List)}, giving each member {@code perMember} to answer. */
  public static int leaderIndex(Client client, List<String> clientUrls, Duration perMember) {
    for (int i = 0; i < clientUrls.size(); i++) {
      try {
        StatusResponse status = client.getMaintenanceClient().statusMember(clientUrls.get(i))
            .get(perMember.toMillis(), TimeUnit.MILLISECONDS);
        if (status.getLeader() != 0 && status.getLeader() == status.getHeader().getMemberId()) {
          return i;
        }
      } catch (Exception e) {
        // down, paused or cut off: not the leader anyone can reach
      }
    }
    return -1;
  }
}
