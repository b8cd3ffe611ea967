package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Disaster recovery as an operator does it on etcd 3.4 and on Keel: a 3-member cluster loses every
 * member at once (kill -9), one is started again on its data with {@code --force-new-cluster} and
 * becomes a cluster of one with its member id and the keys and revisions it had applied; a new
 * member is added with {@code member add} and catches up from it, and the forced member restarts
 * without the flag. Both print the same (ids, endpoints and hashes masked), and on both the member
 * keeps its id and the new member's HashKV equals its own.
 */
@Timeout(value = 300)
class ForceNewClusterIT {
  private static final Pattern INITIAL_CLUSTER = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"");
  private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
  private static final Duration JOIN = Duration.ofSeconds(60);

  @Test
  void aMemberForcedToANewClusterKeepsItsDataAndGrowsAgainAsOnEtcd() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    Run etcd = run(EtcdctlDifferentialIT.ETCD, p);
    etcd.transcript().write("force-new-cluster-etcd.txt");
    assertThat(etcd.transcript().result("member list of the forced member").stdout().lines()
        .filter(line -> line.contains(" started ")).toList()).as("etcd lists the forced member alone").hasSize(1);
    Run keel = run(EtcdctlDifferentialIT.KEEL, p);
    keel.transcript().write("force-new-cluster-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd.transcript(), keel.transcript(), MembershipDifferentialIT::normalise);
    assertThat(keel.revisionAfter()).as("the revision of the first write after the forced restart")
        .isEqualTo(etcd.revisionAfter());
  }

  private record Run(EtcdctlTranscript transcript, long revisionAfter) {}

  private static Run run(Target target, String p) {
    try (ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(3)
        .clusterName(target.name() + "-fnc-" + p.substring(3, 8)).start()) {
      cluster.awaitHealthy();
      EtcdctlTranscript t = new EtcdctlTranscript(p);
      Etcdctl all = Etcdctl.of(cluster.clientEndpoints());
      for (int i = 0; i < 30; i++) {
        assertThat(all.run("put", p + "k" + i, "v" + i).succeeded()).as("%s: put %d", target.name(), i).isTrue();
      }
      assertThat(all.run("del", p + "k5").succeeded()).isTrue();
      MemberProcess forced = cluster.member(0);
      // etcd keeps its log up to the commit index it had synced to disk, which a follower syncs with
      // the next entries it gets: a lease grant (no revision) follows the writes, and the member to
      // force has applied everything committed before the cluster is lost. (Keel keeps every entry
      // of the member's log: see ForcedRestart.)
      assertThat(all.run("lease", "grant", "600").succeeded()).isTrue();
      long committed = cluster.members().stream().mapToLong(m -> status(m, "raft_index")).max().orElseThrow();
      Deadlines.await(target.name() + ": the member to force applied index " + committed, JOIN)
          .until(() -> status(forced, "raft_applied_index") >= committed);
      long id = status(forced, "member_id");
      assertThat(id).as("%s: the member's id from endpoint status", target.name()).isNotEqualTo(-1L);
      cluster.members().forEach(MemberProcess::kill9);

      forced.startWith("--force-new-cluster");
      cluster.awaitHealthy(List.of(forced));
      Etcdctl one = Etcdctl.of(forced.address().clientEndpoint());
      t.add(Step.of("member list of the forced member", "member", "list", "-w", "table"),
          one.run("member", "list", "-w", "table"));
      assertThat(status(forced, "member_id")).as("%s: the forced member keeps its id", target.name()).isEqualTo(id);
      t.add(Step.of("the keys written before", "get", p, "--prefix"), one.run("get", p, "--prefix"));
      t.add(Step.of("a write", "put", p + "after", "x"), one.run("put", p + "after", "x"));
      Matcher revision = REVISION.matcher(one.run("get", p + "after", "-w", "json").stdout());
      assertThat(revision.find()).isTrue();

      MemberAddress address = cluster.newMemberAddress("m4");
      Etcdctl.Result added = Deadlines.await(target.name() + ": member add m4", JOIN).until(() ->
          one.run("member", "add", "m4", "--peer-urls=" + address.peerUrl()), Etcdctl.Result::succeeded);
      t.add(Step.of("add m4", "member", "add", "m4", "--peer-urls=<m4>"), added);
      Matcher initial = INITIAL_CLUSTER.matcher(added.stdout());
      assertThat(initial.find()).as("member add printed ETCD_INITIAL_CLUSTER: %s", added.stdout()).isTrue();
      MemberProcess m4 = cluster.join(address, initial.group(1));
      cluster.awaitHealthy(List.of(m4));
      Etcdctl both = Etcdctl.of(forced.address().clientEndpoint() + "," + m4.address().clientEndpoint());
      t.add(Step.of("member list of two", "member", "list", "-w", "table"), both.run("member", "list", "-w", "table"));
      t.add(Step.of("the keys on the added member", "get", p, "--prefix"),
          Etcdctl.of(m4.address().clientEndpoint()).run("get", p, "--prefix", "--consistency=s"));
      Pattern hash = Pattern.compile(", (\\d+)");
      Deadlines.await(target.name() + ": both members' HashKV alike", Duration.ofSeconds(30)).until(() ->
          List.of(forced, m4).stream().map(m -> {
            Matcher h = hash.matcher(Etcdctl.of(m.address().clientEndpoint()).run("endpoint", "hashkv").stdout());
            return h.find() ? h.group(1) : "none from " + m.name();
          }).distinct().count() == 1);
      // As etcd's documentation says: once forced, restart it without the flag (here on its
      // original command line, which names the three founders).
      forced.restart();
      cluster.awaitHealthy(List.of(forced, m4));
      t.add(Step.of("member list after the forced member restarted without the flag", "member", "list", "-w", "table"),
          both.run("member", "list", "-w", "table"));
      t.add(Step.of("a write after that restart", "put", p + "later", "y"), both.run("put", p + "later", "y"));
      return new Run(t, Long.parseLong(revision.group(1)));
    }
  }

  /** A number field of {@code etcdctl endpoint status -w json} on {@code member}; -1 when it does not answer. */
  private static long status(MemberProcess member, String field) {
    String json = Etcdctl.of(member.address().clientEndpoint()).run("endpoint", "status", "-w", "json").stdout();
    Matcher value = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
    return value.find() ? Long.parseUnsignedLong(value.group(1)) : -1; // ids are uint64
  }


}
