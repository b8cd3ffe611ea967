package keel.testing.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.embed.FreePorts;
import keel.testing.ClusterProcesses;
import keel.testing.KeelCluster;
import keel.testing.KeelProcesses;
import keel.testing.Leaders;
import keel.testing.MemberAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three Keel member processes on 127.0.0.1-3, each listening on its real peer port and advertising
 * a {@link DelayProxy} in front of it, so all Raft traffic between members passes a proxy (as etcd
 * binds {@code --listen-peer-urls} and tells peers {@code --initial-advertise-peer-urls}). 50 ms
 * each way on every proxy makes a put wait for one delayed round trip to a follower; removing the
 * delay brings the latency back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PeerDelayIT {
  private static final int PUTS = 9;
  private static final Duration DELAY = Duration.ofMillis(50);

  @Test
  void aDelayOnPeerLinksSlowsWritesAndRemovingItRestoresThem() throws Exception {
    List<DelayProxy> proxies = new ArrayList<>();
    try {
      ClusterProcesses.Builder builder = KeelProcesses.builder();
      for (int i = 0; i < 3; i++) {
        String host = "127.0.0." + (i + 1);
        MemberAddress real = MemberAddress.withFreePorts("m" + (i + 1), host);
        DelayProxy proxy = DelayProxy.start(real.name() + "-peer",
            new InetSocketAddress(host, FreePorts.allocate(host)), new InetSocketAddress(host, real.peerPort()));
        proxies.add(proxy);
        builder.member(real).advertisePeerUrl(real.name(), "http://" + host + ":" + proxy.address().getPort());
      }
      try (ClusterProcesses keel = builder.start();
          Client all = Client.builder().endpoints(keel.clientUrls().toArray(String[]::new)).build()) {
        int leader = Leaders.await(all, keel.clientUrls());
        assertThat(proxies).allMatch(p -> p.acceptedConnections() > 0, "every member dialled through its peers' proxies");
        try (Client viaLeader = Client.builder().endpoints(keel.clientUrls().get(leader)).build()) {
          long before = medianPutMillis(viaLeader, "before");
          proxies.forEach(p -> p.delay(DELAY));
          long delayed = medianPutMillis(viaLeader, "delayed");
          proxies.forEach(p -> p.delay(Duration.ZERO));
          long after = medianPutMillis(viaLeader, "after");
          System.out.printf("PeerDelayIT: median put latency %d ms, with %d ms each way on peer links %d ms, "
              + "after removing it %d ms%n", before, DELAY.toMillis(), delayed, after);

          // A commit needs one follower's answer: one round trip, 2 x 50 ms. Generous bounds.
          assertThat(delayed).as("median put with the delay (before: %d ms)", before).isGreaterThanOrEqualTo(before + 60);
          assertThat(after).as("median put after removing the delay (with it: %d ms)", delayed).isLessThan(delayed - 50);
        }
      }
    } finally {
      proxies.forEach(DelayProxy::close);
    }
  }

  /** The median of a few sequential puts' latencies, after two warm-up puts. */
  private static long medianPutMillis(Client client, String phase) throws Exception {
    List<Long> millis = new ArrayList<>();
    for (int n = -2; n < PUTS; n++) {
      long start = System.nanoTime();
      client.getKVClient().put(KeelCluster.bytes("peer-delay/" + phase + "/" + n), KeelCluster.bytes("v"))
          .get(10, TimeUnit.SECONDS);
      if (n >= 0) {
        millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      }
    }
    millis.sort(null);
    return millis.get(millis.size() / 2);
  }
}
