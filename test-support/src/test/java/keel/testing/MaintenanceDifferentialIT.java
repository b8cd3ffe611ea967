package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code etcdctl endpoint hashkv}, {@code move-leader} and the auth commands of a cluster with auth
 * off against a fresh 3-member etcd 3.4 and a fresh 3-member Keel: the same output, ids masked. HashKV numbers are not masked: Keel computes
 * etcd's own, so after the same writes every member of both clusters prints the same number.
 *
 * <p>Compactions are physical ({@code --physical}): etcd removes compacted revisions from its
 * backend in the background, and a HashKV in between may count revisions about to go.
 */
@Timeout(value = 300)
class MaintenanceDifferentialIT {
  private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\":(\\d+)");
  private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
  private static final Pattern HASH = Pattern.compile("(?m)(?:^[^,\\n]+, |\"hash\":|^\\|[^|]+\\|\\s*)(\\d+)");
  private static final Pattern FAILED = Pattern.compile("Failed to get the hash of endpoint \\S+ \\((.*)\\)");

  @Test
  void hashKvMoveLeaderAndAuthPrintWhatEtcdPrints() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = transcript(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("maintenance-transcript-etcd.txt");
    assertKnownEtcdAnswers(etcd);

    EtcdctlTranscript keel = transcript(EtcdctlDifferentialIT.KEEL, p);
    keel.write("maintenance-transcript-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, text -> text);
  }

  private static void assertKnownEtcdAnswers(EtcdctlTranscript t) {
    assertThat(t.result("hashkv, empty").stdout())
        .isEqualTo("<endpoint>, 1084519789\n".repeat(3));
    String afterWrites = t.result("hashkv after writes").stdout();
    assertThat(sameHashEverywhere(afterWrites)).as("every member's hash alike in %s", afterWrites).isTrue();
    assertThat(afterWrites).isNotEqualTo(t.result("hashkv, empty").stdout());
    assertThat(t.result("hashkv --rev compacted").stderr())
        .contains("Error: etcdserver: mvcc: required revision has been compacted");
    assertThat(t.result("move-leader to a follower").stdout())
        .isEqualTo("Leadership transferred from <id> to <id>\n");
    assertThat(t.result("move-leader to a non-member").stderr())
        .endsWith("\nError: etcdserver: bad leader transferee\n");
    assertThat(t.result("auth enable without a root user").stderr()).endsWith("Error: etcdserver: root user does not exist\n");
    assertThat(t.result("get with --user").stdout()).isEqualTo("<p>auth\nv\n");
  }

  /** Runs the sequence on a fresh 3-member cluster of {@code target}, stopping it afterwards. */
  private static EtcdctlTranscript transcript(Target target, String p) {
    try (ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(3)
        .clusterName(target.name() + "-mt-" + p.substring(3, 8)).start()) {
      Etcdctl all = Etcdctl.of(cluster.clientEndpoints());
      EtcdctlTranscript t = new EtcdctlTranscript(p);
      for (Step step : writesAndHashes(p)) {
        t.add(step, step.args().get(0).equals("endpoint")
            ? settled(cluster, all, step)
            : all.run(step.args(), step.stdin()));
      }

      Members before = Members.of(cluster);
      String follower = before.followerEndpoints().get(0);
      Map<String, String> ids = Map.of(
          "<follower>", Long.toHexString(before.idOf(follower)),
          "<leader>", Long.toHexString(before.leader()));
      t.add(Step.of("move-leader to a follower", "move-leader", "<follower>"), all.run(resolve(ids, "move-leader", "<follower>")));
      Members after = Members.of(cluster);
      assertThat(after.leader()).as("%s leader after move-leader", target.name()).isEqualTo(before.idOf(follower));
      ids = Map.of("<leader>", Long.toHexString(after.leader()));
      t.add(Step.of("move-leader to the leader itself", "move-leader", "<leader>"), all.run(resolve(ids, "move-leader", "<leader>")));
      t.add(Step.of("move-leader to a non-member", "move-leader", "1234"), all.run("move-leader", "1234"));
      t.add(Step.of("move-leader, not hex", "move-leader", "xyz"), all.run("move-leader", "xyz"));
      t.add(Step.of("move-leader, no argument", "move-leader"), all.run("move-leader"));
      Etcdctl followersOnly = Etcdctl.of(String.join(",", after.followerEndpoints()));
      t.add(Step.of("move-leader, followers' endpoints only", "move-leader", "<leader>"),
          followersOnly.run(resolve(ids, "move-leader", "<leader>")));
      t.add(Step.of("put after the move", "put", p + "after", "move"), all.run("put", p + "after", "move"));
      for (Step step : authOff(p)) {
        t.add(step, all.run(step.args(), step.stdin()));
      }
      return t;
    }
  }

  /**
   * Writes (sub-revisions in a txn, deletes, a delete of a whole prefix), compactions, hashes.
   * Revisions in the comments: a fresh cluster starts at 1.
   */
  private static List<Step> writesAndHashes(String p) {
    List<Step> s = new ArrayList<>();
    s.add(Step.of("hashkv, empty", "endpoint", "hashkv"));
    s.add(Step.of("put a", "put", p + "a", "1"));                                        // 2
    s.add(Step.of("put b", "put", p + "b", "2"));                                        // 3
    s.add(Step.of("put a again", "put", p + "a", "3"));                                  // 4
    s.add(Step.of("del b", "del", p + "b"));                                             // 5
    s.add(Step.withStdin("txn put, put, del",                                            // 6
        "value(\"" + p + "a\") = \"3\"\n\nput " + p + "c 4\nput " + p + "d 5\ndel " + p + "a\n\n\n", "txn"));
    s.add(Step.of("put empty value", "put", p + "e", ""));                               // 7
    s.add(Step.of("put c again", "put", p + "c", "6"));                                  // 8
    s.add(Step.of("hashkv after writes", "endpoint", "hashkv"));
    s.add(Step.of("hashkv --rev 3 json", "endpoint", "hashkv", "--rev=3", "-w", "json"));
    s.add(Step.of("hashkv --rev future", "endpoint", "hashkv", "--rev=100"));
    s.add(Step.of("compaction 6 physical", "compaction", "6", "--physical"));
    s.add(Step.of("hashkv after compaction", "endpoint", "hashkv"));
    s.add(Step.of("hashkv --rev at compaction", "endpoint", "hashkv", "--rev=6"));
    s.add(Step.of("hashkv --rev 7 table", "endpoint", "hashkv", "--rev=7", "-w", "table"));
    s.add(Step.of("hashkv --rev compacted", "endpoint", "hashkv", "--rev=5"));
    s.add(Step.of("del the prefix", "del", p, "--prefix"));                              // 9
    s.add(Step.of("hashkv after deleting all", "endpoint", "hashkv", "-w", "json"));
    s.add(Step.of("compaction at the delete", "compaction", "9", "--physical"));
    s.add(Step.of("hashkv, all compacted away", "endpoint", "hashkv"));
    s.add(Step.of("put a at 10", "put", p + "a", "back"));                               // 10
    s.add(Step.of("hashkv, one key", "endpoint", "hashkv"));
    return s;
  }

  /**
   * Auth as every cluster starts: no users, no roles, auth off. A client that brings a user and
   * password still works (etcd's client goes on without a token when auth is not enabled).
   */
  private static List<Step> authOff(String p) {
    return List.of(
        Step.of("user list", "user", "list"),
        Step.of("user list json", "user", "list", "-w", "json"),
        Step.of("role list json", "role", "list", "-w", "json"),
        Step.of("user get root", "user", "get", "root"),
        Step.of("role get root", "role", "get", "root"),
        Step.of("auth enable without a root user", "auth", "enable"),
        Step.of("auth disable", "auth", "disable"),
        Step.of("user delete", "user", "delete", "x"),
        Step.of("user grant-role", "user", "grant-role", "x", "r"),
        Step.of("user revoke-role", "user", "revoke-role", "x", "r"),
        Step.of("role delete", "role", "delete", "r"),
        Step.of("role grant-permission", "role", "grant-permission", "r", "read", p + "k"),
        Step.of("role revoke-permission", "role", "revoke-permission", "r", p + "k"),
        Step.of("put with --user", "--user", "root:pw", "put", p + "auth", "v"),
        Step.of("get with --user", "--user", "root:pw", "get", p + "auth"));
  }

  /**
   * {@code step} (an {@code etcdctl endpoint hashkv}) once every member answers alike: the same
   * hash, or the same error. A write or compaction is answered when one member applied it; the
   * others apply it a moment later, and until then answer for the revision before, on etcd as on
   * Keel. And with every key deleted nothing is kept, so etcd's HashKV counts whatever compacted
   * revisions its backend still holds, which each member drops in its own time ({@code --physical}
   * waits for one member only).
   */
  private static Etcdctl.Result settled(ClusterProcesses cluster, Etcdctl etcdctl, Step step) {
    int members = cluster.members().size();
    return Deadlines.await("every member of " + cluster.clusterName() + " answers " + step.label() + " alike",
        Duration.ofSeconds(20))
        .until(() -> etcdctl.run(step.args(), step.stdin()), r -> {
          List<String> hashes = all(HASH, r.stdout());
          List<String> errors = all(FAILED, r.stderr());
          return hashes.size() == members && new HashSet<>(hashes).size() == 1 && errors.isEmpty()
              || errors.size() == members && new HashSet<>(errors).size() == 1 && hashes.isEmpty();
        });
  }

  /** Whether {@code etcdctl endpoint hashkv} output (simple or json) names one hash only. */
  private static boolean sameHashEverywhere(String hashkv) {
    return new HashSet<>(all(HASH, hashkv)).size() == 1;
  }

  private static List<String> all(Pattern pattern, String text) {
    List<String> found = new ArrayList<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  /** {@code args} with each token of {@code tokens} replaced by this cluster's id. */
  private static String[] resolve(Map<String, String> tokens, String... args) {
    return java.util.Arrays.stream(args).map(arg -> tokens.getOrDefault(arg, arg)).toArray(String[]::new);
  }

  /**
   * Each member's id and the leader, from {@code etcdctl endpoint status -w json} on each member,
   * once all of them name the same leader.
   */
  private record Members(Map<String, Long> ids, long leader) {
    static Members of(ClusterProcesses cluster) {
      return Deadlines.await("members of " + cluster.clusterName() + " agree on a leader", Duration.ofSeconds(20))
          .until(() -> read(cluster), Objects::nonNull);
    }

    private static Members read(ClusterProcesses cluster) {
      Map<String, Long> ids = new LinkedHashMap<>();
      Set<Long> leaders = new HashSet<>();
      for (MemberProcess m : cluster.members()) {
        String json = Etcdctl.of(m.address().clientEndpoint()).run("endpoint", "status", "-w", "json").stdout();
        ids.put(m.address().clientEndpoint(), number(MEMBER_ID, json));
        // etcd's JSON leaves out a zero leader: a member that knows of none yet (an election after
        // move-leader still going on) is one that does not agree yet.
        leaders.add(LEADER.matcher(json).find() ? number(LEADER, json) : 0L);
      }
      long leader = leaders.iterator().next();
      return leaders.size() == 1 && ids.containsValue(leader) ? new Members(ids, leader) : null;
    }

    long idOf(String endpoint) {
      return ids.get(endpoint);
    }

    List<String> followerEndpoints() {
      return ids.entrySet().stream().filter(e -> e.getValue() != leader).map(Map.Entry::getKey).toList();
    }

    private static long number(Pattern field, String json) {
      Matcher m = field.matcher(json);
      if (!m.find()) {
        throw new AssertionError("no " + field + " in " + json);
      }
      return Long.parseUnsignedLong(m.group(1));
    }
  }
}
