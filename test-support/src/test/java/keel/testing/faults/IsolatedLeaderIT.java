package keel.testing.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import keel.testing.ClusterProcesses;
import keel.testing.Deadlines;
import keel.testing.Etcdctl;
import keel.testing.KeelCluster;
import keel.testing.KeelProcesses;
import keel.testing.Leaders;
import keel.testing.MemberAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three Keel member processes, each in its own network namespace ({@link NetnsNetwork}), on etcd's
 * default ports. The leader is cut from both followers (clients still reach it): the two elect a
 * new leader and take writes; the old one stops calling itself leader (Ratis steps a leader down
 * that hears from no majority) and serves neither a write nor a linearizable read (only a
 * serializable one, from its stale store). After healing, every member reaches the same revision
 * with the same HashKV, and the old leader serves the writes it missed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IsolatedLeaderIT {
  private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
  private static final Pattern HASH = Pattern.compile("\"hash\":(\\d+)");

  @Test
  void theMajorityGoesOnWithoutAnIsolatedLeaderAndAllConvergeAfterHeal() throws Exception {
    NetnsNetwork.sweepLeftovers();
    NetnsNetwork net = NetnsNetwork.create(3);
    try {
      ClusterProcesses.Builder builder = KeelProcesses.builder();
      for (int i = 0; i < 3; i++) {
        String name = "m" + (i + 1);
        builder.member(new MemberAddress(name, net.address(i), 2379, 2380)).wrapper(name, net.commandPrefix(i));
      }
      try (ClusterProcesses keel = builder.start();
          Client client = Client.builder().endpoints(keel.clientUrls().toArray(String[]::new)).build()) {
        List<String> urls = keel.clientUrls();
        for (int n = 0; n < 3; n++) {
          client.getKVClient().put(key("before-" + n), value(n)).get(10, TimeUnit.SECONDS);
        }
        int leader = Leaders.await(client, urls);
        List<Integer> others = new ArrayList<>(List.of(0, 1, 2));
        others.remove(Integer.valueOf(leader));

        long isolatedAt = System.nanoTime();
        net.isolate(leader);
        List<String> majority = others.stream().map(urls::get).toList();
        int newLeader = others.get(Leaders.await(client, majority));
        assertThat(newLeader).isNotEqualTo(leader);
        Etcdctl viaMajority = Etcdctl.of(endpoints(keel, others)).withTimeout(Duration.ofSeconds(15));
        Deadlines.await("a write through the majority", Duration.ofSeconds(20))
            .until(() -> viaMajority.run("put", "isolated-leader/during", "majority", "--command-timeout=3s").succeeded());

        String isolatedUrl = urls.get(leader);
        Deadlines.await("the isolated leader steps down", Duration.ofSeconds(10))
            .until(() -> !claimsToLead(client, isolatedUrl));
        System.out.printf("IsolatedLeaderIT: the isolated leader stopped claiming to lead %d ms after the cut%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - isolatedAt));
        Etcdctl viaIsolated = Etcdctl.of(keel.member(leader).address().clientEndpoint())
            .withTimeout(Duration.ofSeconds(15));
        // Both wait out their timeout: side by side.
        ExecutorService probes = Executors.newFixedThreadPool(2);
        Etcdctl.Result write;
        Etcdctl.Result read;
        try {
          Future<Etcdctl.Result> putting =
              probes.submit(() -> viaIsolated.run("put", "isolated-leader/refused", "x", "--command-timeout=3s"));
          Future<Etcdctl.Result> reading =
              probes.submit(() -> viaIsolated.run("get", "isolated-leader/during", "--command-timeout=3s"));
          write = putting.get(30, TimeUnit.SECONDS);
          read = reading.get(30, TimeUnit.SECONDS);
        } finally {
          probes.shutdownNow();
          assertThat(probes.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        Etcdctl.Result stale = viaIsolated.run("get", "isolated-leader/before-0", "--consistency=s",
            "--print-value-only", "--command-timeout=3s");
        System.out.printf("IsolatedLeaderIT: %s isolated, %s leads the majority; the isolated one answers a put with "
                + "[%s] and a linearizable get with [%s]%n",
            keel.member(leader).name(), keel.member(newLeader).name(), write.stderr().strip(), read.stderr().strip());
        assertThat(write.succeeded()).as("put on the isolated old leader: %s", write).isFalse();
        assertThat(read.succeeded()).as("linearizable get on the isolated old leader: %s", read).isFalse();
        assertThat(stale.stdout()).as("serializable get on the isolated member (clients still reach it)")
            .isEqualTo("v0\n");

        net.heal();
        Etcdctl all = Etcdctl.of(keel.clientEndpoints()).withTimeout(Duration.ofSeconds(15));
        String converged = Deadlines.await("every member at the same revision with the same HashKV", Duration.ofSeconds(30))
            .until(() -> {
              Etcdctl.Result hashes = all.run("endpoint", "hashkv", "-w", "json", "--command-timeout=3s");
              return hashes.succeeded() && distinct(REVISION, hashes.stdout()).size() == 1
                  && distinct(HASH, hashes.stdout()).size() == 1 ? hashes.stdout() : null;
            }, out -> out != null);
        assertThat(distinct(HASH, converged)).hasSize(1);
        assertThat(viaIsolated.run("get", "isolated-leader/during", "--print-value-only", "--command-timeout=5s").stdout())
            .as("the healed old leader serves, linearizably, the write it missed")
            .isEqualTo("majority\n");
      }
    } finally {
      net.close();
    }
    assertThat(NetnsInventory.namespaces()).doesNotContain(net.namespace(0), net.namespace(1), net.namespace(2));
  }

  /** Whether the member at {@code url} says it is the leader (etcd's endpoint status: leader == member id). */
  private static boolean claimsToLead(Client client, String url) throws Exception {
    StatusResponse status = client.getMaintenanceClient().statusMember(url).get(5, TimeUnit.SECONDS);
    return status.getLeader() == status.getHeader().getMemberId();
  }

  private static String endpoints(ClusterProcesses keel, List<Integer> which) {
    return which.stream().map(i -> keel.member(i).address().clientEndpoint()).collect(Collectors.joining(","));
  }

  /** Every number {@code pattern} finds in {@code json}, once (3 members: one value means they agree). */
  private static Set<String> distinct(Pattern pattern, String json) {
    Set<String> values = new TreeSet<>();
    Matcher m = pattern.matcher(json);
    int count = 0;
    while (m.find()) {
      values.add(m.group(1));
      count++;
    }
    if (count != 3) {
      values.add("(" + count + " answers of 3)");
    }
    return values;
  }

  private static ByteSequence key(String name) {
    return KeelCluster.bytes("isolated-leader/" + name);
  }

  private static ByteSequence value(int n) {
    return KeelCluster.bytes("v" + n);
  }
}
