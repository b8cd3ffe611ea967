package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Growing and shrinking a cluster as an operator does it with Debian's {@code etcdctl}, against
 * etcd 3.4 and against Keel, under a continuous write load: one member, then {@code member add}
 * and the new member started with the {@code --initial-cluster} that printed, a learner added,
 * started and promoted, grown to five, then {@code member remove} back to three (each removed
 * member's process exits by itself). On the way, the refusals an operator meets (a peer URL in
 * use, an unknown id, promoting a voter, a second learner) and {@code member list}, {@code
 * endpoint status --cluster}, {@code endpoint hashkv --cluster}, {@code alarm list}, {@code
 * defrag} and {@code member update}. Both print the same, ids and sizes masked; on both every
 * acknowledged write is there at the end and every member's HashKV is the same.
 */
@Timeout(value = 600)
class MembershipDifferentialIT {
  private static final Pattern INITIAL_CLUSTER = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"");
  private static final Pattern ADDED = Pattern.compile("Member\\s+([0-9a-f]+) added to cluster");
  private static final Duration JOIN = Duration.ofSeconds(60);

  @Test
  void growingAndShrinkingUnderLoadPrintsWhatEtcdPrints() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = transcript(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("membership-transcript-etcd.txt");
    assertKnownEtcdAnswers(etcd);

    EtcdctlTranscript keel = transcript(EtcdctlDifferentialIT.KEEL, p);
    keel.write("membership-transcript-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, MembershipDifferentialIT::normalise);
  }

  private static void assertKnownEtcdAnswers(EtcdctlTranscript t) {
    assertThat(normalise(t.result("add m2").stdout())).isEqualTo("""
        Member <id> added to cluster <id>

        ETCD_NAME="m2"
        ETCD_INITIAL_CLUSTER="m1=<endpoint>,m2=<endpoint>"
        ETCD_INITIAL_ADVERTISE_PEER_URLS="<endpoint>"
        ETCD_INITIAL_CLUSTER_STATE="existing"
        """);
    assertThat(t.result("add a voter while one added member has not started").stderr())
        .endsWith("Error: etcdserver: re-configuration failed due to not enough started members\n");
    assertThat(normalise(t.result("promote m3").stdout())).isEqualTo("Member <id> promoted in cluster <id>\n");
    assertThat(t.result("add a second learner").stderr())
        .endsWith("Error: etcdserver: too many learner members in cluster\n");
    assertThat(t.result("promote a voter").stderr()).endsWith("Error: etcdserver: can only promote a learner member\n");
    assertThat(t.result("remove an unknown id").stderr()).endsWith("Error: etcdserver: member not found\n");
    assertThat(t.result("add a peer URL in use").stderr()).endsWith("Error: etcdserver: Peer URLs already exists\n");
    assertThat(normalise(t.result("remove the unstarted member").stdout()))
        .isEqualTo("Member <id> removed from cluster <id>\n");
  }

  private static EtcdctlTranscript transcript(Target target, String p) {
    try (ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(1)
        .clusterName(target.name() + "-mb-" + p.substring(3, 8)).start();
        Load load = new Load(cluster.member(0).address().clientUrl(), p + "load/")) {
      EtcdctlTranscript t = new EtcdctlTranscript(p);
      Grower grow = new Grower(cluster, t);
      load.start();
      grow.record(Step.of("member list of one", "member", "list", "-w", "table"));

      MemberProcess m2 = grow.addAndStart("m2", false);
      cluster.awaitHealthy(List.of(m2));
      MemberAddress unstarted = cluster.newMemberAddress("mx");
      Etcdctl.Result added = grow.recordWhenAccepted(Step.of("add a member not started yet", "member", "add", "mx",
          "--peer-urls=" + unstarted.peerUrl()));
      grow.record(Step.of("member list with an unstarted member", "member", "list", "-w", "table"));
      grow.recordWhenSettled(Step.of("add a voter while one added member has not started", "member", "add", "my",
          "--peer-urls=" + cluster.newMemberAddress("my").peerUrl()));
      grow.record(Step.of("remove the unstarted member", "member", "remove", addedId(added)));

      MemberProcess m3 = grow.addAndStart("m3", true);
      Deadlines.await("learner m3 answers endpoint status", JOIN).until(() ->
          Etcdctl.of(m3.address().clientEndpoint()).run("endpoint", "status").succeeded());
      grow.recordWhenSettled(Step.of("add a second learner", "member", "add", "ml", "--learner",
          "--peer-urls=" + cluster.newMemberAddress("ml").peerUrl()));
      grow.recordWhenAccepted(Step.of("promote m3", "member", "promote", grow.id("m3")));
      grow.promoted("m3");
      cluster.awaitHealthy(List.of(m3));
      grow.record(Step.of("member list of three", "member", "list", "-w", "table"));
      grow.record(Step.of("promote a voter", "member", "promote", grow.id("m2")));
      grow.record(Step.of("remove an unknown id", "member", "remove", "1234"));
      grow.record(Step.of("update an unknown id", "member", "update", "1234",
          "--peer-urls=" + cluster.newMemberAddress("mz").peerUrl()));
      grow.recordWhenSettled(Step.of("add a peer URL in use", "member", "add", "mw",
          "--peer-urls=" + m2.address().peerUrl()));
      grow.record(Step.of("update m2 to its own peer URL", "member", "update", grow.id("m2"),
          "--peer-urls=" + m2.address().peerUrl()));

      MemberProcess m4 = grow.addAndStart("m4", false);
      cluster.awaitHealthy(List.of(m4));
      MemberProcess m5 = grow.addAndStart("m5", false);
      cluster.awaitHealthy(List.of(m5));
      grow.record(Step.of("member list of five", "member", "list", "-w", "table"));
      grow.record(Step.of("endpoint status of five", "endpoint", "status", "--cluster", "-w", "table"));
      grow.record(Step.of("alarm list", "alarm", "list"));
      grow.record(Step.of("defrag every member", "defrag", "--cluster"));

      grow.remove("m5");
      grow.remove("m4");
      for (MemberProcess removed : List.of(m4, m5)) {
        Deadlines.await(removed.name() + " exits once removed", JOIN).until(() -> !removed.isAlive());
        assertThat(removed.exitCode()).as("%s %s's exit code once removed", target.name(), removed.name()).isZero();
      }
      Map<String, String> acknowledged = load.stop();
      assertThat(acknowledged).as("%s: writes acknowledged during the changes", target.name()).hasSizeGreaterThan(10);
      grow.record(Step.of("member list after the shrink", "member", "list", "-w", "table"));
      List<MemberProcess> remaining = List.of(cluster.member(0), m2, m3);
      assertEveryMemberHasTheSameHash(target, remaining);
      assertEveryAcknowledgedWriteIsThere(target, remaining, p + "load/", acknowledged);
      grow.record(Step.of("endpoint hashkv of three", "endpoint", "hashkv", "--cluster"));
      return t;
    }
  }

  /** Member changes through the members that vote, and what they printed. */
  private static final class Grower {
    private final ClusterProcesses cluster;
    private final EtcdctlTranscript transcript;
    /** The members added (or founded) and not removed, by name: their ids in hex. */
    private final Map<String, String> ids = new ConcurrentHashMap<>();
    /** Those of them that are learners (etcdctl is not sent to a learner: it refuses most calls). */
    private final java.util.Set<String> learners = ConcurrentHashMap.newKeySet();

    Grower(ClusterProcesses cluster, EtcdctlTranscript transcript) {
      this.cluster = cluster;
      this.transcript = transcript;
      ids.put("m1", memberId(cluster.member(0)));
    }

    /** etcdctl against the members that vote now (the founder and those added and healthy). */
    Etcdctl voters() {
      return Etcdctl.of(cluster.members().stream()
          .filter(m -> m.isAlive() && ids.containsKey(m.name()) && !learners.contains(m.name()))
          .map(m -> m.address().clientEndpoint())
          .collect(Collectors.joining(",")));
    }

    Etcdctl.Result record(Step step) {
      Etcdctl.Result result = voters().run(step.args(), step.stdin());
      transcript.add(step, result);
      return result;
    }

    /**
     * Until the change is accepted: etcd refuses one while the member asked has not been
     * connected to every voter for five seconds, or while a learner is catching up.
     */
    Etcdctl.Result recordWhenAccepted(Step step) {
      Etcdctl.Result result = Deadlines.await(step.label() + " accepted", JOIN)
          .until(() -> voters().run(step.args(), step.stdin()), Etcdctl.Result::succeeded);
      transcript.add(step, result);
      return result;
    }

    /**
     * Until the answer is not etcd's "unhealthy cluster": its reconfiguration check (every voter
     * connected to the member asked for five seconds) comes before the refusal the step is about.
     */
    Etcdctl.Result recordWhenSettled(Step step) {
      Etcdctl.Result result = Deadlines.await(step.label() + " answered by a settled cluster", JOIN)
          .until(() -> voters().run(step.args(), step.stdin()), r -> !r.stderr().contains("unhealthy cluster"));
      transcript.add(step, result);
      return result;
    }

    /** {@code member add} (retried until accepted), then the member started as it printed. */
    MemberProcess addAndStart(String name, boolean learner) {
      MemberAddress address = cluster.newMemberAddress(name);
      List<String> args = new ArrayList<>(List.of("member", "add", name));
      if (learner) {
        args.add("--learner");
      }
      args.add("--peer-urls=" + address.peerUrl());
      Etcdctl.Result added = recordWhenAccepted(Step.of("add " + name, args.toArray(String[]::new)));
      Matcher initial = INITIAL_CLUSTER.matcher(added.stdout());
      assertThat(initial.find()).as("member add printed ETCD_INITIAL_CLUSTER: %s", added.stdout()).isTrue();
      MemberProcess member = cluster.join(address, initial.group(1));
      ids.put(name, addedId(added));
      if (learner) {
        learners.add(name);
      }
      return member;
    }

    String id(String name) {
      return ids.get(name);
    }

    void promoted(String name) {
      learners.remove(name);
    }

    /**
     * {@code member remove} until the member is gone from {@code member list}. Under load either
     * cluster may change leader while a removal is on its way: the client then hears a timeout
     * although the removal applied, and a retry "member not found". So what the removals printed
     * is not compared; the member list afterwards is.
     */
    void remove(String name) {
      String id = ids.get(name);
      Deadlines.await(name + " removed", JOIN).until(() -> {
        voters().run("member", "remove", id);
        return !voters().run("member", "list").stdout().contains(id + ", ");
      });
      ids.remove(name);
    }

    private static String memberId(MemberProcess member) {
      String json = Etcdctl.of(member.address().clientEndpoint()).run("endpoint", "status", "-w", "json").stdout();
      Matcher id = Pattern.compile("\"member_id\":(\\d+)").matcher(json);
      assertThat(id.find()).as("endpoint status -w json: %s", json).isTrue();
      return Long.toHexString(Long.parseUnsignedLong(id.group(1)));
    }
  }

  private static String addedId(Etcdctl.Result added) {
    Matcher id = ADDED.matcher(added.stdout());
    assertThat(id.find()).as("member add printed the new id: %s", added.stdout()).isTrue();
    return id.group(1);
  }

  private static void assertEveryMemberHasTheSameHash(Target target, List<MemberProcess> members) {
    Pattern hash = Pattern.compile(", (\\d+)");
    Deadlines.await(target.name() + ": every member's HashKV alike", Duration.ofSeconds(30)).until(() -> {
      List<String> hashes = new ArrayList<>();
      for (MemberProcess m : members) {
        Matcher h = hash.matcher(Etcdctl.of(m.address().clientEndpoint()).run("endpoint", "hashkv").stdout());
        hashes.add(h.find() ? h.group(1) : "none from " + m.name());
      }
      return hashes.stream().distinct().count() == 1 && !hashes.get(0).startsWith("none");
    });
  }

  private static void assertEveryAcknowledgedWriteIsThere(Target target, List<MemberProcess> members, String prefix,
      Map<String, String> acknowledged) {
    for (MemberProcess m : members) {
      try (Client client = Client.builder().endpoints(m.address().clientUrl()).build()) {
        ByteSequence key = ByteSequence.from(prefix, StandardCharsets.UTF_8);
        List<KeyValue> kvs = client.getKVClient().get(key, GetOption.newBuilder().isPrefix(true).build())
            .get(30, TimeUnit.SECONDS).getKvs();
        Map<String, String> stored = new TreeMap<>();
        kvs.forEach(kv -> stored.put(kv.getKey().toString(StandardCharsets.UTF_8),
            kv.getValue().toString(StandardCharsets.UTF_8)));
        assertThat(stored).as("%s %s: every acknowledged write", target.name(), m.name())
            .containsAllEntriesOf(acknowledged);
      } catch (Exception e) {
        throw new AssertionError(target.name() + " " + m.name() + ": reading the writes back failed", e);
      }
    }
  }

  /**
   * Ids differ between two clusters, and so does the order in which etcd lists members (by id),
   * the width of a table's id column, sizes, indexes and hashes: masked, rows sorted.
   */
  static String normalise(String text) {
    String s = text
        .replaceAll("(https?://)?127\\.0\\.0\\.[0-9]{1,3}:[0-9]{1,5}", "<endpoint>")
        .replaceAll(" {2,}", " ") // table cells are padded to the column's widest, which differs
        .replaceAll("-{3,}", "---")
        .replaceAll("(?m)^(\\$ etcdctl member (?:promote|remove|update)) [0-9a-f]{5,16}\\b", "$1 <id>")
        .replaceAll("Member\\s+(?:[0-9a-f]+|<id>) (added to|removed from|updated in|promoted in) cluster\\s+(?:[0-9a-f]+|<id>)",
            "Member <id> $1 cluster <id>")
        .replaceAll("(?m)^(\\| <endpoint> \\| <id> \\|)[^|]*\\|[^|]*\\|", "$1 <version> | <size> |")
        .replaceAll("(?m)^(\\| <endpoint> \\| <id> \\| <version> \\| <size> \\|[^|]*\\|[^|]*\\|)[^|]*\\|[^|]*\\|[^|]*\\|",
            "$1 <term> | <index> | <applied> |")
        .replaceAll("(?m)^(<endpoint>, )\\d+$", "$1<hash>");
    Matcher initial = INITIAL_CLUSTER.matcher(s);
    if (initial.find()) {
      String sorted = List.of(initial.group(1).split(",")).stream().sorted().collect(Collectors.joining(","));
      s = s.substring(0, initial.start(1)) + sorted + s.substring(initial.end(1));
    }
    return sortRows(s);
  }

  /**
   * Sorts each run of table rows ({@code | ...}) that follows a table's header line, and each run of
   * per-member lines ({@code <endpoint>, <hash>}, {@code Finished defragmenting ...}).
   */
  private static String sortRows(String text) {
    List<String> out = new ArrayList<>();
    List<String> rows = new ArrayList<>();
    boolean inBody = false;
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("+")) {
        rows.sort(null);
        out.addAll(rows);
        rows.clear();
        out.add(line);
        inBody = out.size() >= 3 && out.get(out.size() - 3).startsWith("+");
      } else if ((inBody && line.startsWith("|")) || line.startsWith("<endpoint>, ")
          || line.startsWith("Finished defragmenting")) {
        rows.add(line);
      } else {
        rows.sort(null);
        out.addAll(rows);
        rows.clear();
        out.add(line);
      }
    }
    rows.sort(null);
    out.addAll(rows);
    return String.join("\n", out);
  }

  /** Sequential puts to one member until stopped; remembers what was acknowledged. */
  private static final class Load implements AutoCloseable {
    private final Client client;
    private final String prefix;
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Load(String endpoint, String prefix) {
      this.client = Client.builder().endpoints(endpoint).build();
      this.prefix = prefix;
      this.thread = new Thread(this::run, "membership-load");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void run() {
      for (int i = 0; running.get(); i++) {
        String key = prefix + i;
        String value = "v" + i;
        try {
          client.getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
              ByteSequence.from(value, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
          acknowledged.put(key, value);
        } catch (Exception e) {
          // not acknowledged: it may or may not be there, and is not checked
        }
      }
    }

    Map<String, String> stop() {
      running.set(false);
      try {
        thread.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Map.copyOf(acknowledged);
    }

    @Override
    public void close() {
      running.set(false);
      client.close();
    }
  }
}
