package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs one sequence of etcdctl v3 commands against a fresh 3-member cluster and records a masked
 * transcript. Against real etcd 3.4 it checks a few known answers and the stored reference
 * ({@code src/test/resources/etcd-3.4-transcript.txt}); with a Keel command configured it runs the
 * same sequence against Keel and requires the two transcripts to be equal, step by step.
 */
@Timeout(value = 300)
class EtcdctlDifferentialIT {
  /** A kind of cluster the sequence runs on: a name and the command prefix for its members. */
  record Target(String name, List<String> command) {}

  static final Target ETCD = new Target("etcd", RealEtcd.command());

  static final Target KEEL = new Target("keel", KeelProcesses.command());

  static final Path REFERENCE = Path.of("src/test/resources/etcd-3.4-transcript.txt");
  static final int MIB = 1024 * 1024;

  @Test
  void etcdctlAnswersLikeEtcd() throws IOException {
    String prefix = uniquePrefix();
    EtcdctlTranscript etcd = transcript(ETCD, prefix);
    String rendered = etcd.write("etcdctl-transcript-etcd.txt");

    assertKnownEtcdAnswers(etcd);
    if (Files.exists(REFERENCE)) {
      assertThat(rendered)
          .as("etcd's transcript vs %s (regenerate from target/etcdctl-transcript-etcd.txt if etcd changed)", REFERENCE)
          .isEqualTo(Files.readString(REFERENCE, StandardCharsets.UTF_8));
    }

    EtcdctlTranscript keel = transcript(KEEL, prefix);
    keel.write("etcdctl-transcript-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, text -> text);
  }

  /**
   * Kills 2 of 3 members and records what etcdctl prints against the survivor once it knows it has
   * no leader. With Keel configured, Keel must print the same.
   */
  @Test
  void noLeaderAnswers() throws IOException {
    String prefix = uniquePrefix();
    EtcdctlTranscript etcd = noLeaderTranscript(ETCD, prefix);
    etcd.write("etcdctl-no-leader-etcd.txt");

    Etcdctl.Result put = etcd.result("put without leader");
    assertThat(put.exitCode()).isNotZero();
    assertThat(sameDeadline(put.stderr())).contains("Error: context deadline exceeded\n");
    assertThat(etcd.result("get without leader").exitCode()).isNotZero();
    assertThat(etcd.result("serializable get without leader").stdout()).isEqualTo("<p>k\nv\n");

    EtcdctlTranscript keel = noLeaderTranscript(KEEL, prefix);
    keel.write("etcdctl-no-leader-keel.txt");
    assertThat(keel.renderedSteps().stream().map(EtcdctlDifferentialIT::sameDeadline).toList())
        .isEqualTo(etcd.renderedSteps().stream().map(EtcdctlDifferentialIT::sameDeadline).toList());
  }

  /**
   * etcd races its client here: the same command ends either with the client's own deadline
   * ({@code code = DeadlineExceeded}, printed {@code Error: context deadline exceeded}) or with the
   * server's context error ({@code code = Unknown}, printed {@code Error: rpc error: code = Unknown
   * desc = context deadline exceeded}). Both are one outcome.
   */
  static String sameDeadline(String text) {
    return text.replace("Error: rpc error: code = Unknown desc = context deadline exceeded", "Error: context deadline exceeded")
        .replace("code = Unknown desc = context deadline exceeded", "code = DeadlineExceeded desc = context deadline exceeded");
  }

  static EtcdctlTranscript noLeaderTranscript(Target target, String prefix) {
    try (ClusterProcesses cluster =
        ClusterProcesses.builder(target.command()).size(3).clusterName(target.name() + "-nl-" + prefix.substring(3, 8)).start()) {
      Etcdctl all = Etcdctl.of(cluster.clientEndpoints());
      assertThat(all.run("put", prefix + "k", "v").exitCode()).isZero();
      // every member has applied the put before two of them die
      Deadlines.await("put applied everywhere", Duration.ofSeconds(10))
          .until(() -> cluster.members().stream().allMatch(m ->
              Etcdctl.of(m.address().clientEndpoint())
                  .run("get", prefix + "k", "--consistency=s", "--print-value-only").stdout().equals("v\n")));
      cluster.member(1).kill9();
      cluster.member(2).kill9();
      MemberProcess survivor = cluster.member(0);
      Etcdctl alone = Etcdctl.of(survivor.address().clientEndpoint());
      // etcd's leader steps down (check quorum) or the follower's election fails: either way
      // endpoint status reports leader 0 within a few election timeouts
      Deadlines.await("survivor without leader", Duration.ofSeconds(30))
          .until(() -> alone.run("endpoint", "status", "-w", "fields").stdout().contains("\"Leader\" : 0\n"));
      EtcdctlTranscript transcript = EtcdctlTranscript.record(alone, prefix, List.of(
          Step.of("put without leader", "put", prefix + "k", "v2", "--command-timeout=2s"),
          Step.of("get without leader", "get", prefix + "k", "--command-timeout=2s"),
          // longer than etcd's own proposal timeout (5 s + 2 election timeouts): the server answers
          Step.of("put without leader, 10s timeout", "put", prefix + "k", "v2", "--command-timeout=10s"),
          Step.of("serializable get without leader", "get", prefix + "k", "--consistency=s", "--command-timeout=2s"),
          Step.of("del without leader", "del", prefix + "k", "--command-timeout=2s"),
          Step.withStdin("txn without leader", txn(List.of(), List.of("put " + prefix + "k v3"), List.of()),
              "txn", "--command-timeout=2s"),
          Step.of("compaction without leader", "compaction", "1", "--command-timeout=2s")));

      return transcript;
    }
  }

  /** Runs the sequence on a fresh 3-member cluster of {@code target}, stopping it afterwards. */
  static EtcdctlTranscript transcript(Target target, String prefix) {
    try (ClusterProcesses cluster =
        ClusterProcesses.builder(target.command()).size(3).clusterName(target.name() + "-" + prefix.substring(3, 8)).start()) {
      return EtcdctlTranscript.record(Etcdctl.of(cluster.clientEndpoints()), prefix, sequence(prefix));
    }
  }

  /** Nine bytes ({@code dt-xxxxx/}): a multiple of 3, as {@link EtcdctlTranscript} needs. */
  static String uniquePrefix() {
    StringBuilder p = new StringBuilder("dt-");
    for (int i = 0; i < 5; i++) {
      p.append((char) ('a' + ThreadLocalRandom.current().nextInt(26)));
    }
    return p.append('/').toString();
  }

  private static void assertKnownEtcdAnswers(EtcdctlTranscript t) {
    assertThat(t.result("put a=1 json").stdout()).contains("\"revision\":2");
    assertThat(t.result("get prefix").stdout()).startsWith("<p>a\n10\n<p>b\n22\n");
    assertError(t, "put empty key", "etcdserver: key is not provided");
    assertError(t, "get empty key", "etcdserver: key is not provided");
    assertError(t, "put 1.6 MiB from stdin", "etcdserver: request is too large");
    assertError(t, "txn 129 ops", "etcdserver: too many operations in txn request");
    assertError(t, "txn duplicate put", "etcdserver: duplicate key given in txn request");
    assertError(t, "get compacted rev", "etcdserver: mvcc: required revision has been compacted");
    assertError(t, "get future rev", "etcdserver: mvcc: required revision is a future revision");
    assertThat(t.result("txn 128 ops").exitCode()).isZero();
    assertThat(t.result("txn value = success").stdout()).startsWith("SUCCESS\n");
    assertThat(t.result("txn value = failure").stdout()).startsWith("FAILURE\n");
  }

  private static void assertError(EtcdctlTranscript t, String label, String text) {
    Etcdctl.Result r = t.result(label);
    assertThat(r.exitCode()).as(label).isNotZero();
    assertThat(r.stderr()).as(label).contains("Error: " + text);
  }

  /**
   * The sequence. It starts on a fresh cluster (revision 1), so every revision printed is fixed;
   * steps refer to revisions by number.
   */
  static List<Step> sequence(String p) {
    List<Step> s = new ArrayList<>();
    // writes: revisions 2..9
    s.add(Step.of("put a=1 json", "put", p + "a", "1", "-w", "json"));
    s.add(Step.of("put b=2", "put", p + "b", "2"));
    s.add(Step.of("put c=3 fields", "put", p + "c", "3", "-w", "fields"));
    s.add(Step.of("put a=10", "put", p + "a", "10"));
    s.add(Step.of("put d=0", "put", p + "d", "0"));
    s.add(Step.of("put b=22 prev-kv", "put", p + "b", "22", "--prev-kv"));
    s.add(Step.of("put e=5 prev-kv json (none)", "put", p + "e", "5", "--prev-kv", "-w", "json"));
    s.add(Step.of("put f=v simple", "put", p + "f", "v", "-w", "simple"));
    // single gets in each format
    s.add(Step.of("get a", "get", p + "a"));
    s.add(Step.of("get a fields", "get", p + "a", "-w", "fields"));
    s.add(Step.of("get a json", "get", p + "a", "-w", "json"));
    s.add(Step.of("get a simple", "get", p + "a", "-w", "simple"));
    s.add(Step.of("get missing", "get", p + "zz"));
    s.add(Step.of("get missing json", "get", p + "zz", "-w", "json"));
    s.add(Step.of("get missing fields", "get", p + "zz", "-w", "fields"));
    s.add(Step.of("get a table (unsupported)", "get", p + "a", "-w", "table"));
    // ranges
    s.add(Step.of("get prefix", "get", p, "--prefix"));
    s.add(Step.of("get prefix json", "get", p, "--prefix", "-w", "json"));
    s.add(Step.of("get range [a,c)", "get", p + "a", p + "c"));
    s.add(Step.of("get from-key c", "get", p + "c", "--from-key"));
    s.add(Step.of("get from-key c keys-only", "get", p + "c", "--from-key", "--keys-only"));
    s.add(Step.of("get prefix rev 4", "get", p, "--prefix", "--rev=4"));
    s.add(Step.of("get a rev 2 json", "get", p + "a", "--rev=2", "-w", "json"));
    s.add(Step.of("get a rev 1 (before it existed)", "get", p + "a", "--rev=1", "-w", "fields"));
    for (String sortBy : List.of("KEY", "VERSION", "CREATE", "MODIFY", "VALUE")) {
      for (String order : List.of("ASCEND", "DESCEND")) {
        s.add(Step.of("get prefix sort " + sortBy + " " + order,
            "get", p, "--prefix", "--sort-by=" + sortBy, "--order=" + order, "--keys-only"));
      }
    }
    s.add(Step.of("get prefix sort VALUE (default order)", "get", p, "--prefix", "--sort-by=VALUE"));
    s.add(Step.of("get prefix order DESCEND (no sort-by)", "get", p, "--prefix", "--order=DESCEND"));
    s.add(Step.of("get prefix limit 2", "get", p, "--prefix", "--limit=2"));
    s.add(Step.of("get prefix limit 2 json", "get", p, "--prefix", "--limit=2", "-w", "json"));
    s.add(Step.of("get prefix limit 2 fields", "get", p, "--prefix", "--limit=2", "-w", "fields"));
    s.add(Step.of("get prefix limit 2 sort MODIFY DESCEND", "get", p, "--prefix", "--limit=2", "--sort-by=MODIFY", "--order=DESCEND"));
    s.add(Step.of("get prefix keys-only", "get", p, "--prefix", "--keys-only"));
    s.add(Step.of("get prefix keys-only json", "get", p, "--prefix", "--keys-only", "-w", "json"));
    s.add(Step.of("get prefix print-value-only", "get", p, "--prefix", "--print-value-only"));
    s.add(Step.of("get prefix count-only (3.5 flag)", "get", p, "--prefix", "--count-only"));
    s.add(Step.of("get prefix serializable", "get", p, "--prefix", "--consistency=s", "--keys-only"));
    // deletes: revisions 10..
    s.add(Step.of("del f", "del", p + "f"));
    s.add(Step.of("del missing", "del", p + "zz"));
    s.add(Step.of("del e prev-kv", "del", p + "e", "--prev-kv"));
    s.add(Step.of("del d prev-kv json", "del", p + "d", "--prev-kv", "-w", "json"));
    s.add(Step.of("put x1", "put", p + "x1", "1"));
    s.add(Step.of("put x2", "put", p + "x2", "2"));
    s.add(Step.of("put x3", "put", p + "x3", "3"));
    s.add(Step.of("del prefix x fields", "del", p + "x", "--prefix", "-w", "fields"));
    s.add(Step.of("put y1", "put", p + "y1", "1"));
    s.add(Step.of("put y2", "put", p + "y2", "2"));
    s.add(Step.of("del from-key y1 prev-kv", "del", p + "y1", "--from-key", "--prev-kv"));
    s.add(Step.of("del prefix none", "del", p + "nothing", "--prefix"));
    s.add(Step.of("get prefix after deletes", "get", p, "--prefix", "-w", "json"));
    // txn: compares, blank line, success ops, blank line, failure ops, blank line
    s.add(Step.withStdin("txn value = success",
        txn(List.of("value(\"" + p + "a\") = \"10\""), List.of("put " + p + "t1 yes", "get " + p + "a"), List.of("put " + p + "t1 no")),
        "txn"));
    s.add(Step.withStdin("txn value = failure",
        txn(List.of("value(\"" + p + "a\") = \"11\""), List.of("put " + p + "t2 yes"), List.of("put " + p + "t2 no", "get " + p + "t2")),
        "txn"));
    s.add(Step.withStdin("txn value > and != json",
        txn(List.of("value(\"" + p + "b\") > \"1\"", "value(\"" + p + "c\") != \"4\""), List.of("get " + p + "b"), List.of("get " + p + "c")),
        "txn", "-w", "json"));
    s.add(Step.withStdin("txn version = success fields",
        txn(List.of("version(\"" + p + "a\") = \"2\""), List.of("put " + p + "t3 v", "del " + p + "t1"), List.of()),
        "txn", "-w", "fields"));
    s.add(Step.withStdin("txn version < failure",
        txn(List.of("version(\"" + p + "a\") < \"2\""), List.of(), List.of("get " + p + "t --prefix")),
        "txn"));
    s.add(Step.withStdin("txn create = success",
        txn(List.of("create(\"" + p + "a\") = \"2\""), List.of("get " + p + "a --rev=2"), List.of()),
        "txn"));
    s.add(Step.withStdin("txn create missing = 0",
        txn(List.of("create(\"" + p + "new\") = \"0\""), List.of("put " + p + "new n"), List.of()),
        "txn", "-w", "json"));
    s.add(Step.withStdin("txn mod > failure",
        txn(List.of("mod(\"" + p + "a\") > \"5\""), List.of("put " + p + "t4 yes"), List.of("put " + p + "t4 no")),
        "txn"));
    s.add(Step.withStdin("txn mod = success",
        txn(List.of("mod(\"" + p + "a\") = \"5\""), List.of("del " + p + "t --prefix --prev-kv"), List.of()),
        "txn", "-w", "json"));
    s.add(Step.withStdin("txn no compares",
        txn(List.of(), List.of("put " + p + "t5 a", "get " + p + "t5"), List.of()),
        "txn"));
    s.add(Step.withStdin("txn malformed compare", "version(\"" + p + "a\") = 2\n\n\n\n", "txn"));
    s.add(Step.withStdin("txn missing final blank line", "\nput " + p + "t6 v\n\n", "txn"));
    s.add(Step.withStdin("txn duplicate put",
        txn(List.of(), List.of("put " + p + "dup 1", "put " + p + "dup 2"), List.of()), "txn"));
    s.add(Step.withStdin("txn duplicate put+del",
        txn(List.of(), List.of("put " + p + "dup 1", "del " + p + "dup"), List.of()), "txn"));
    s.add(Step.withStdin("txn 128 ops", txn(List.of(), puts(p + "ops/", 128), List.of()), "txn", "-w", "json"));
    s.add(Step.withStdin("txn 129 ops", txn(List.of(), puts(p + "ops/", 129), List.of()), "txn"));
    s.add(Step.of("get ops count", "get", p + "ops/", "--prefix", "--keys-only", "--limit=1", "-w", "fields"));
    s.add(Step.of("del ops", "del", p + "ops/", "--prefix"));
    // bad input
    s.add(Step.of("put empty key", "put", "", "v"));
    s.add(Step.of("get empty key", "get", ""));
    s.add(Step.of("del empty key", "del", ""));
    s.add(Step.withStdin("put 1.6 MiB from stdin", "x".repeat(MIB * 16 / 10), "put", p + "big"));
    s.add(Step.withStdin("put 1.4 MiB from stdin", "x".repeat(MIB * 14 / 10), "put", p + "big"));
    s.add(Step.of("del big", "del", p + "big"));
    s.add(Step.of("get future rev", "get", p + "a", "--rev=1000"));
    // compaction
    s.add(Step.of("compaction 5", "compaction", "5"));
    s.add(Step.of("get compacted rev", "get", p + "a", "--rev=4"));
    s.add(Step.of("get at compact rev", "get", p, "--prefix", "--rev=5", "--keys-only"));
    s.add(Step.of("compaction 5 again", "compaction", "5"));
    s.add(Step.of("compaction 3 (below)", "compaction", "3"));
    s.add(Step.of("compaction future", "compaction", "100000"));
    s.add(Step.of("compaction physical", "compaction", "8", "--physical"));
    s.add(Step.of("get final json", "get", p, "--prefix", "-w", "json"));
    return s;
  }

  /** etcdctl txn's non-interactive script: each section ends with a blank line. */
  static String txn(List<String> compares, List<String> success, List<String> failure) {
    StringBuilder script = new StringBuilder();
    for (List<String> section : List.of(compares, success, failure)) {
      section.forEach(line -> script.append(line).append('\n'));
      script.append('\n');
    }
    return script.toString();
  }

  static List<String> puts(String keyPrefix, int count) {
    List<String> ops = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ops.add(String.format("put %s%03d v", keyPrefix, i));
    }
    return ops;
  }

}
