package keel.torture.nemesis;

import io.etcd.jetcd.maintenance.StatusResponse;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import keel.torture.TortureCluster;

/** MoveLeader (etcdctl move-leader) from the leader to a random follower; nothing to heal. */
public final class LeaderTransferFault implements Fault {
  @Override
  public String name() {
    return "transfer";
  }

  @Override
  public Injected inject(TortureCluster cluster, SplittableRandom random) throws Exception {
    int leader = cluster.leader();
    if (leader < 0) {
      throw new IllegalStateException("no leader to transfer from");
    }
    int to = (leader + 1 + random.nextInt(cluster.size() - 1)) % cluster.size();
    StatusResponse transferee = cluster.status(to);
    if (transferee == null) {
      throw new IllegalStateException(cluster.member(to) + " does not answer");
    }
    cluster.clients().member(leader).getMaintenanceClient()
        .moveLeader(transferee.getHeader().getMemberId()).get(10, TimeUnit.SECONDS);
    return new Injected(cluster.member(leader).name() + " -> " + cluster.member(to).name(), () -> {});
  }
}
