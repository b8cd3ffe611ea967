package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keel's membership survives restarts: a cluster grown from one member by {@code member add}
 * (one added as a learner and promoted) and shrunk by a {@code member remove}, then every member
 * killed with kill -9 and started again on its data dir with the same command lines (the joined
 * ones still with {@code --initial-cluster-state existing}), lists the same members, serves, and
 * its members' HashKV agree. Snapshots every 20 commands, so a restart loads the membership from
 * a snapshot as well as from the log.
 */
@Timeout(value = 300)
class MembershipRestartIT {
  private static final Pattern INITIAL_CLUSTER = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"");
  private static final Pattern ADDED = Pattern.compile("Member\\s+([0-9a-f]+) added to cluster");
  private static final Duration JOIN = Duration.ofSeconds(60);

  @Test
  void aGrownAndShrunkClusterKeepsItsMembersThroughKillNineOfEveryMember() {
    try (ClusterProcesses cluster = KeelProcesses.builder().size(1).extraFlags("--snapshot-count", "20")
        .clusterName("keel-mr").start()) {
      MemberProcess m1 = cluster.member(0);
      MemberProcess m2 = add(cluster, "m2", false);
      MemberProcess m3 = add(cluster, "m3", true);
      String m3Id = ids.get("m3");
      Deadlines.await("m3 promoted", JOIN).until(() -> voters(m1, m2).run("member", "promote", m3Id).succeeded());
      learners.remove("m3");
      cluster.awaitHealthy(List.of(m3));
      MemberProcess m4 = add(cluster, "m4", false);
      cluster.awaitHealthy(List.of(m4));
      for (int i = 0; i < 50; i++) {
        assertThat(voters(m1, m2, m3).run("put", "/mr/k" + i, "v" + i).succeeded()).isTrue();
      }
      String m4Id = ids.get("m4");
      Deadlines.await("m4 removed", JOIN).until(() -> {
        voters(m1, m2, m3).run("member", "remove", m4Id);
        return !voters(m1, m2, m3).run("member", "list").stdout().contains(m4Id + ", ");
      });
      Deadlines.await("m4 exits once removed", JOIN).until(() -> !m4.isAlive());
      String before = voters(m1, m2, m3).run("member", "list").stdout();
      assertThat(before.lines()).hasSize(3).allMatch(line -> line.contains(", started, "));

      List<MemberProcess> remaining = List.of(m1, m2, m3);
      remaining.forEach(MemberProcess::kill9);
      remaining.forEach(MemberProcess::start);
      cluster.awaitHealthy(remaining);

      for (MemberProcess m : remaining) {
        assertThat(Etcdctl.of(m.address().clientEndpoint()).run("member", "list").stdout())
            .as("member list on %s after every member was killed and restarted", m.name()).isEqualTo(before);
      }
      assertThat(voters(m1, m2, m3).run("put", "/mr/after", "v").succeeded()).isTrue();
      assertThat(voters(m1, m2, m3).run("get", "/mr/k49", "--print-value-only").stdout()).isEqualTo("v49\n");
      Pattern hash = Pattern.compile(", (\\d+)");
      Deadlines.await("every member's HashKV alike after the restart", Duration.ofSeconds(30)).until(() ->
          remaining.stream().map(m -> {
            Matcher h = hash.matcher(Etcdctl.of(m.address().clientEndpoint()).run("endpoint", "hashkv").stdout());
            return h.find() ? h.group(1) : "none";
          }).distinct().toList().size() == 1);
    }
  }

  private final java.util.Map<String, String> ids = new java.util.HashMap<>();
  private final java.util.Set<String> learners = new java.util.HashSet<>();

  private MemberProcess add(ClusterProcesses cluster, String name, boolean learner) {
    MemberAddress address = cluster.newMemberAddress(name);
    // the members that vote: a learner refuses member add
    Etcdctl etcdctl = voters(cluster.members().stream().filter(MemberProcess::isAlive)
        .filter(m -> !ids.containsKey(m.name()) || !learners.contains(m.name())).toArray(MemberProcess[]::new));
    Etcdctl.Result added = Deadlines.await("member add " + name, JOIN).until(() -> learner
        ? etcdctl.run("member", "add", name, "--learner", "--peer-urls=" + address.peerUrl())
        : etcdctl.run("member", "add", name, "--peer-urls=" + address.peerUrl()), Etcdctl.Result::succeeded);
    Matcher initial = INITIAL_CLUSTER.matcher(added.stdout());
    assertThat(initial.find()).isTrue();
    Matcher id = ADDED.matcher(added.stdout());
    assertThat(id.find()).isTrue();
    ids.put(name, id.group(1));
    if (learner) {
      learners.add(name);
    }
    MemberProcess member = cluster.join(address, initial.group(1));
    if (!learner) {
      cluster.awaitHealthy(List.of(member));
    }
    return member;
  }

  private static Etcdctl voters(MemberProcess... members) {
    return Etcdctl.of(java.util.Arrays.stream(members).map(m -> m.address().clientEndpoint())
        .collect(java.util.stream.Collectors.joining(",")));
  }
}
