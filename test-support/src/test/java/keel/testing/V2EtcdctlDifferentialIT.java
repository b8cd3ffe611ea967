package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The v2 keys API as scripts use it: Debian's {@code etcdctl} with {@code ETCDCTL_API=2} and plain
 * HTTP, against a 3-member etcd 3.4 started with {@code --enable-v2=true} and a 3-member Keel with
 * the same flags. Each test runs one sequence on both and compares the transcripts step by step,
 * with indexes made relative to the sequence's start and TTLs and times masked ({@link V2Mask}).
 *
 * <p>{@code -Dkeel.test.v2.against=etcd} runs the second side on another real etcd instead of Keel:
 * etcd against etcd must pass, which proves the masking hides only what differs between clusters.
 *
 * <p>etcdctl runs pinned ({@code --no-sync}) to one follower: a v2 read is served by the member
 * that receives it, and etcd answers a write only after that member applied it, so every read of
 * the sequence sees the writes before it. Watches run on the other members.
 */
@Timeout(value = 240)
class V2EtcdctlDifferentialIT {
  static final String AGAINST_PROPERTY = "keel.test.v2.against";
  static final List<String> FLAGS = List.of("--enable-v2=true");
  /** exec-watch's command: one line per event. */
  static final String ECHO_EVENT = "echo \"$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE\"";

  private static ClusterProcesses etcd;
  private static ClusterProcesses other;

  /** Keel, or a second etcd with {@code -Dkeel.test.v2.against=etcd}. */
  static Target against() {
    String against = System.getProperty(AGAINST_PROPERTY, "keel");
    return switch (against) {
      case "keel" -> EtcdctlDifferentialIT.KEEL;
      case "etcd" -> new Target("etcd-again", RealEtcd.command());
      default -> throw new IllegalArgumentException(AGAINST_PROPERTY + " is keel or etcd, not " + against);
    };
  }

  @BeforeAll
  static void startClusters() {
    etcd = start(EtcdctlDifferentialIT.ETCD);
    other = start(against());
  }

  @AfterAll
  static void stopClusters() {
    try {
      if (other != null) {
        other.close();
      }
    } finally {
      if (etcd != null) {
        etcd.close();
      }
    }
  }

  private static ClusterProcesses start(Target target) {
    ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(3)
        .clusterName(target.name() + "-v2-" + UUID.randomUUID().toString().substring(0, 5))
        .extraFlags(FLAGS.toArray(String[]::new))
        .start();
    try {
      V2Http.awaitClusterVersion(cluster);
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** Nine bytes ({@code /v2-xxxxx}): a multiple of 3, as {@link EtcdctlTranscript} needs. */
  static String uniquePrefix() {
    StringBuilder p = new StringBuilder("/v2-");
    for (int i = 0; i < 5; i++) {
      p.append((char) ('a' + ThreadLocalRandom.current().nextInt(26)));
    }
    return p.toString();
  }

  @Test
  void etcdctlV2PrintsWhatItPrintsAgainstEtcd() throws IOException {
    String p = uniquePrefix();
    EtcdctlTranscript want = record(etcd, p);
    want.write("v2-etcdctl-transcript-etcd.txt");
    assertKnownEtcdAnswers(want);

    EtcdctlTranscript got = record(other, p);
    got.write("v2-etcdctl-transcript-" + against().name() + ".txt");
    EtcdctlTranscript.assertSameSteps(want, got, text -> text);
  }

  @Test
  void v2HttpAnswersLikeEtcd() throws IOException {
    String p = uniquePrefix();
    List<String> want = V2HttpSequence.record(etcd, p);
    write("v2-http-transcript-etcd.txt", String.join("\n", want));
    System.out.println(String.join("\n", want));
    V2HttpSequence.assertKnownEtcdAnswers(want);

    List<String> got = V2HttpSequence.record(other, p);
    write("v2-http-transcript-" + against().name() + ".txt", String.join("\n", got));
    System.out.println(String.join("\n", got));
    for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
      assertThat(got.get(i)).as("step %d on %s", i + 1, against().name()).isEqualTo(want.get(i));
    }
    assertThat(got).hasSameSizeAs(want);
  }

  private static void write(String name, String text) throws IOException {
    Path out = Path.of("target", name);
    Files.createDirectories(out.getParent());
    Files.writeString(out, text, StandardCharsets.UTF_8);
  }

  /** Answers etcd must give, so that two empty or equally broken transcripts cannot pass. */
  private static void assertKnownEtcdAnswers(EtcdctlTranscript t) {
    assertThat(t.result("mk a").stdout()).isEqualTo("one\n");
    assertThat(t.result("mk a again").stderr()).isEqualTo("Error:  105: Key already exists (<p>/a) [<i+1>]\n");
    assertThat(t.result("mk a again").exitCode()).isEqualTo(4);
    assertThat(t.result("ls --sort in-order queue").stdout())
        .isEqualTo("<p>/queue/<i+4>\n<p>/queue/<i+5>\n<p>/queue/<i+6>\n");
    assertThat(t.result("get a dir").stderr()).isEqualTo("<p>/dir: is a directory\n");
    assertThat(t.result("set --swap-with-index miss").stderr()).matches("Error:  101: Compare failed \\(\\[<i\\+\\d+> != <i\\+\\d+>\\]\\) \\[<i\\+\\d+>\\]\n");
    assertThat(t.result("ls the expired TTL dir").stderr()).startsWith("Error:  100: Key not found (<p>/ttl) [");
    assertThat(t.result("exec-watch --recursive w").stdout()).matches(String.join("\n",
        "create <p>/w/a one",
        "set <p>/w/a two",
        "update <p>/w/a three",
        "compareAndSwap <p>/w/a four",
        "delete <p>/w/a ",
        "create <p>/w/queue/<i\\+[0-9]+> job",
        "set <p>/w/sub/k v",
        "compareAndDelete <p>/w/sub/k ",
        "create <p>/w/t gone-soon",
        "expire <p>/w/t ",
        ""));
    assertThat(t.result("exec-watch --recursive w").stderr()).isEqualTo(String.join("\n",
        "Ignored dir <p>/w/d change",
        "Ignored dir <p>/w/sub change",
        "Ignored dir <p>/w/td change",
        "Ignored dir <p>/w/td change",
        ""));
  }

  /**
   * Runs the sequence on {@code cluster}: etcdctl pinned to a follower, watches on the other
   * follower and on the leader.
   */
  static EtcdctlTranscript record(ClusterProcesses cluster, String p) {
    List<V2Http> members = V2Http.followersThenLeader(cluster);
    V2Http pinned = members.get(0);
    V2EtcdctlSession s = new V2EtcdctlSession(p, pinned, Etcdctl.v2(pinned.endpoint().toString()).noSync());
    s.runAll(basics(p));
    // the same through every member, as a script without --no-sync does (GET /v2/members first)
    Etcdctl synced = Etcdctl.v2(String.join(",", cluster.clientUrls()));
    s.run(synced, Step.of("cluster-health", "cluster-health"));
    s.run(synced, Step.of("get --quorum a, synced", "get", "--quorum", p + "/a"));
    s.run(synced, Step.of("ls --quorum --sort --recursive h, synced", "ls", "--quorum", "--sort", "--recursive", p + "/h"));
    s.run(synced, Step.of("set c, synced", "set", p + "/c", "synced"));
    // another member took that write: a quorum read makes the pinned member catch up with it
    s.run(Step.of("get --quorum c", "get", "--quorum", p + "/c"));
    ttlExpiry(s, p);
    watches(s, p, Etcdctl.v2(members.get(2).endpoint().toString()).noSync(),
        Etcdctl.v2(members.get(1).endpoint().toString()).noSync());
    s.run(Step.of("ls -p --sort --recursive (the end)", "ls", "-p", "--sort", "--recursive", p));
    s.run(Step.of("-o extended get a (the end)", "-o", "extended", "get", p + "/a"));
    return s.transcript();
  }

  /**
   * Everything but TTL expiry and watches. The first write is index base+1, so the in-order keys
   * are base+4..6. Values are words: a failed compare prints {@code [old != new]}, which {@link
   * V2Mask} reads as indexes when they are numbers.
   */
  static List<Step> basics(String p) {
    List<Step> s = new ArrayList<>();
    // mk: create only
    s.add(Step.of("mk a", "mk", p + "/a", "one"));                                            // +1
    s.add(Step.of("mk a again", "mk", p + "/a", "one"));
    s.add(Step.of("-o json mk b", "-o", "json", "mk", p + "/b", "two"));                      // +2
    s.add(Step.of("-o extended mk c", "-o", "extended", "mk", p + "/c", "three"));           // +3
    s.add(Step.of("mk --in-order queue 1", "mk", "--in-order", p + "/queue", "job1"));        // +4
    s.add(Step.of("mk --in-order queue 2", "mk", "--in-order", p + "/queue", "job2"));        // +5
    s.add(Step.of("-o json mk --in-order queue 3", "-o", "json", "mk", "--in-order", p + "/queue", "job3")); // +6
    s.add(Step.of("ls --sort in-order queue", "ls", "--sort", p + "/queue"));
    s.add(Step.of("-o json ls --sort in-order queue", "-o", "json", "ls", "--sort", p + "/queue"));
    s.add(Step.of("mk --in-order under a key", "mk", "--in-order", p + "/a", "x"));
    s.add(Step.of("-o json mk --ttl 300", "-o", "json", "mk", "--ttl", "300", p + "/mkttl", "v"));
    // directories
    s.add(Step.of("mkdir dir", "mkdir", p + "/dir"));
    s.add(Step.of("mkdir dir again", "mkdir", p + "/dir"));
    s.add(Step.of("setdir dir (exists)", "setdir", p + "/dir"));
    s.add(Step.of("setdir newdir", "setdir", p + "/newdir"));
    s.add(Step.of("-o json setdir newdir2", "-o", "json", "setdir", p + "/newdir2"));
    s.add(Step.of("updatedir --ttl 300 dir", "updatedir", "--ttl", "300", p + "/dir"));
    s.add(Step.of("-o json updatedir --ttl 300 dir", "-o", "json", "updatedir", "--ttl", "300", p + "/dir"));
    s.add(Step.of("-o extended updatedir --ttl 300 dir", "-o", "extended", "updatedir", "--ttl", "300", p + "/dir"));
    s.add(Step.of("updatedir missing", "updatedir", "--ttl", "300", p + "/missingdir"));
    s.add(Step.of("updatedir on a key", "updatedir", "--ttl", "300", p + "/mkttl"));
    s.add(Step.of("-o json get the key updatedir touched", "-o", "json", "get", p + "/mkttl"));
    s.add(Step.of("mk on a dir", "mk", p + "/dir", "x"));
    s.add(Step.of("set on a dir", "set", p + "/dir", "x"));
    s.add(Step.of("mkdir dir/sub/deeper", "mkdir", p + "/dir/sub/deeper"));
    s.add(Step.of("set dir/sub/k", "set", p + "/dir/sub/k", "v"));
    s.add(Step.of("set dir/f", "set", p + "/dir/f", "v"));
    s.add(Step.of("ls --sort --recursive", "ls", "--sort", "--recursive", p));
    s.add(Step.of("ls -p --sort --recursive", "ls", "-p", "--sort", "--recursive", p));
    s.add(Step.of("ls -p --sort dir", "ls", "-p", "--sort", p + "/dir"));
    s.add(Step.of("-o json ls --sort --recursive dir", "-o", "json", "ls", "--sort", "--recursive", p + "/dir"));
    s.add(Step.of("-o extended ls --sort dir", "-o", "extended", "ls", "--sort", p + "/dir"));
    s.add(Step.of("ls a key", "ls", p + "/a"));
    s.add(Step.of("ls missing", "ls", p + "/missing"));
    // get
    s.add(Step.of("get a dir", "get", p + "/dir"));
    s.add(Step.of("-o json get a dir", "-o", "json", "get", p + "/dir"));
    s.add(Step.of("get a", "get", p + "/a"));
    s.add(Step.of("-o json get a", "-o", "json", "get", p + "/a"));
    s.add(Step.of("-o extended get a", "-o", "extended", "get", p + "/a"));
    s.add(Step.of("get missing", "get", p + "/missing"));
    s.add(Step.of("-o json get missing", "-o", "json", "get", p + "/missing"));
    s.add(Step.of("get --sort a", "get", "--sort", p + "/a"));
    // removing
    s.add(Step.of("rm a dir", "rm", p + "/dir"));
    s.add(Step.of("rm --dir non-empty dir", "rm", "--dir", p + "/dir"));
    s.add(Step.of("rmdir non-empty dir", "rmdir", p + "/dir"));
    s.add(Step.of("mkdir empty", "mkdir", p + "/empty"));
    s.add(Step.of("rmdir empty", "rmdir", p + "/empty"));
    s.add(Step.of("mkdir empty2", "mkdir", p + "/empty2"));
    s.add(Step.of("rm --dir empty2", "rm", "--dir", p + "/empty2"));
    s.add(Step.of("rmdir on a key", "rmdir", p + "/dir/f"));
    s.add(Step.of("-o json rm --recursive dir", "-o", "json", "rm", "--recursive", p + "/dir"));
    s.add(Step.of("rm missing", "rm", p + "/missing"));
    s.add(Step.of("rm --recursive missing", "rm", "--recursive", p + "/missing"));
    s.add(Step.of("rmdir missing", "rmdir", p + "/missing"));
    s.add(Step.of("-o extended rm b", "-o", "extended", "rm", p + "/b"));
    s.add(Step.of("rm the root", "rm", "/"));
    s.add(Step.of("mkdir the root", "mkdir", "/"));
    // set, update
    s.add(Step.of("set s", "set", p + "/s", "v1"));
    s.add(Step.of("-o extended set --ttl 300 s2", "-o", "extended", "set", "--ttl", "300", p + "/s2", "v2"));
    s.add(Step.of("-o json set --ttl 300 s2 again", "-o", "json", "set", "--ttl", "300", p + "/s2", "v3"));
    s.add(Step.of("update s", "update", p + "/s", "v11"));
    s.add(Step.of("update missing", "update", p + "/missing", "v"));
    s.add(Step.of("-o json update --ttl 300 s", "-o", "json", "update", "--ttl", "300", p + "/s", "v12"));
    s.add(Step.of("-o json update --ttl 0 s (permanent again)", "-o", "json", "update", "--ttl", "0", p + "/s", "v12"));
    // compare-and-swap, compare-and-delete
    s.add(Step.of("set --swap-with-value hit", "set", "--swap-with-value", "v12", p + "/s", "v13"));
    s.add(Step.of("set --swap-with-value miss", "set", "--swap-with-value", "nope", p + "/s", "v14"));
    s.add(Step.of("-o json get s", "-o", "json", "get", p + "/s"));
    s.add(Step.of("set --swap-with-index hit", "set", "--swap-with-index", "{modifiedIndex:" + p + "/s}", p + "/s", "v15"));
    s.add(Step.of("set --swap-with-index miss", "set", "--swap-with-index", "{createdIndex:" + p + "/s}", p + "/s", "v16"));
    s.add(Step.of("set --swap-with-value and --swap-with-index miss",
        "set", "--swap-with-value", "nope", "--swap-with-index", "{createdIndex:" + p + "/s}", p + "/s", "v16"));
    s.add(Step.of("set --swap-with-value on missing", "set", "--swap-with-value", "x", p + "/missing", "y"));
    s.add(Step.of("rm --with-value miss", "rm", "--with-value", "nope", p + "/s"));
    s.add(Step.of("rm --with-index miss", "rm", "--with-index", "{createdIndex:" + p + "/s}", p + "/s"));
    s.add(Step.of("-o json rm --with-value hit", "-o", "json", "rm", "--with-value", "v15", p + "/s"));
    s.add(Step.of("set s again", "set", p + "/s", "v1"));
    s.add(Step.of("rm --with-index hit", "rm", "--with-index", "{modifiedIndex:" + p + "/s}", p + "/s"));
    s.add(Step.of("rm --with-index on missing", "rm", "--with-index", "{base}", p + "/s"));
    // odd paths
    s.add(Step.of("set trailing slash", "set", p + "/odd/", "v"));
    s.add(Step.of("-o json get without the slash", "-o", "json", "get", p + "/odd"));
    s.add(Step.of("set double slashes", "set", p + "//odd2//x", "v"));
    s.add(Step.of("-o json get with a trailing slash", "-o", "json", "get", p + "/odd2/x/"));
    s.add(Step.of("ls --sort -r odd2", "ls", "--sort", "-r", p + "/odd2"));
    s.add(Step.of("set h/_hidden", "set", p + "/h/_hidden", "secret"));
    s.add(Step.of("set h/visible", "set", p + "/h/visible", "v"));
    s.add(Step.of("mkdir h/_hiddendir", "mkdir", p + "/h/_hiddendir"));
    s.add(Step.of("set h/_hiddendir/k", "set", p + "/h/_hiddendir/k", "v"));
    s.add(Step.of("ls --sort -r h (hidden keys left out)", "ls", "--sort", "-r", p + "/h"));
    s.add(Step.of("-o json ls --sort -r h", "-o", "json", "ls", "--sort", "-r", p + "/h"));
    s.add(Step.of("get h/_hidden", "get", p + "/h/_hidden"));
    s.add(Step.of("ls h/_hiddendir", "ls", p + "/h/_hiddendir"));
    s.add(Step.of("set with a space", "set", p + "/sp ace", "v"));
    s.add(Step.of("-o json get with a space", "-o", "json", "get", p + "/sp ace"));
    s.add(Step.of("set with %2F", "set", p + "/pct%2Fx", "v"));
    s.add(Step.of("-o json get with %2F", "-o", "json", "get", p + "/pct%2Fx"));
    s.add(Step.of("set with ?x=1", "set", p + "/q?x=1", "v"));
    s.add(Step.of("set without a leading slash", "set", p.substring(1) + "/noslash", "v"));
    s.add(Step.of("ls --sort odd names", "ls", "--sort", p));
    // one-shot watches from history: after-index is the index just before the wanted event
    // (set replaces a node, createdIndex and all; updatedir on mkttl above kept its createdIndex)
    s.add(Step.of("watch --after-index (mkttl's create)", "watch", "--after-index", "{createdIndex:" + p + "/mkttl}", p + "/mkttl"));
    s.add(Step.of("-o json watch --after-index (mkttl's create)", "-o", "json", "watch", "--after-index", "{createdIndex:" + p + "/mkttl}", p + "/mkttl"));
    s.add(Step.of("-o extended watch --recursive --after-index base", "-o", "extended", "watch", "--recursive", "--after-index", "{base}", p));
    s.add(Step.of("-o json watch --recursive --after-index (queue)", "-o", "json", "watch", "--recursive", "--after-index", "{createdIndex:" + p + "/c}", p + "/queue"));
    // bad arguments etcdctl refuses itself
    s.add(Step.of("get without a key", "get"));
    s.add(Step.of("set without a value", "set", p + "/novalue"));
    return s;
  }

  /**
   * A directory made with a TTL, one given a TTL later and a key: all expire (on etcd, removed by the
   * leader's SYNC tick every 500 ms after their time ran out, each expiry an index of its own).
   */
  static void ttlExpiry(V2EtcdctlSession s, String p) {
    s.run(Step.of("mkdir --ttl 2", "mkdir", "--ttl", "2", p + "/ttl"));
    s.run(Step.of("-o json ls the TTL dir", "-o", "json", "ls", p + "/ttl"));
    s.run(Step.of("mkdir ttl2", "mkdir", p + "/ttl2"));
    s.run(Step.of("set ttl2/k", "set", p + "/ttl2/k", "v"));
    s.run(Step.of("updatedir --ttl 2 ttl2", "updatedir", "--ttl", "2", p + "/ttl2"));
    s.run(Step.of("set --ttl 1 ttlkey", "set", "--ttl", "1", p + "/ttlkey", "v"));
    for (String key : List.of("/ttl", "/ttl2", "/ttlkey")) {
      s.awaitGone(p + key);
    }
    s.run(Step.of("ls the expired TTL dir", "ls", p + "/ttl"));
    s.run(Step.of("ls the expired updatedir TTL dir", "ls", p + "/ttl2/k"));
    s.run(Step.of("get the expired TTL key", "get", p + "/ttlkey"));
    s.run(Step.of("ls --sort after expiry", "ls", "--sort", p));
  }

  /**
   * exec-watch (on the leader) and {@code watch --forever} (on the other follower) while the
   * sequence writes under /w, both from the index before the first of those writes, so neither can
   * miss an event while it connects. etcdctl runs exec-watch's command in a goroutine per event, so
   * two quick events could print in either order: each write waits until exec-watch has printed
   * its line (a directory's event is a line "Ignored dir ..." on stderr).
   */
  static void watches(V2EtcdctlSession s, String p, Etcdctl leader, Etcdctl otherFollower) {
    String w = p + "/w";
    // flags in this order: with --recursive first, etcdctl's argument parser drops the "--" and
    // exec-watch takes the command's last word for the key
    Step execWatch = Step.of("exec-watch --recursive w",
        "exec-watch", "--after-index", "{index}", "--recursive", w, "--", "sh", "-c", ECHO_EVENT);
    Step forever = Step.of("-o json watch --forever --recursive w",
        "-o", "json", "watch", "--forever", "--recursive", "--after-index", "{index}", w);
    try (Etcdctl.Background exec = leader.background(s.resolve(execWatch.args()).toArray(String[]::new));
        Etcdctl.Background watch = otherFollower.background(s.resolve(forever.args()).toArray(String[]::new))) {
      int lines = 0;
      for (Step write : watchedWrites(w)) {
        if (s.run(write).succeeded()) {
          s.awaitLines(exec, ++lines);
        }
      }
      // the two expiries: t's line on stdout, td's "Ignored dir" on stderr
      s.awaitLines(exec, lines + 2);
      s.awaitGone(w + "/t");
      s.awaitGone(w + "/td");
      s.run(Step.of("w: ls --sort -r after expiry", "ls", "--sort", "-r", w));
      s.awaitOutput(watch, "[expire] " + w + "/t");
      s.add(execWatch, exec.stop());
      s.add(forever, watch.stop());
    }
  }

  /** Writes under the watched directory: each one event (for a directory, an "Ignored dir" line). */
  static List<Step> watchedWrites(String w) {
    return List.of(
        Step.of("w: mk a", "mk", w + "/a", "one"),
        Step.of("w: set a", "set", w + "/a", "two"),
        Step.of("w: update a", "update", w + "/a", "three"),
        Step.of("w: set --swap-with-value a", "set", "--swap-with-value", "three", w + "/a", "four"),
        Step.of("w: rm a", "rm", w + "/a"),
        Step.of("w: mkdir d", "mkdir", w + "/d"),
        Step.of("w: mk --in-order queue", "mk", "--in-order", w + "/queue", "job"),
        Step.of("w: set sub/k", "set", w + "/sub/k", "v"),
        Step.of("w: rm --with-value sub/k", "rm", "--with-value", "v", w + "/sub/k"),
        Step.of("w: rm --dir sub", "rm", "--dir", w + "/sub"),
        Step.of("w: mk --ttl 1 t", "mk", "--ttl", "1", w + "/t", "gone-soon"),
        Step.of("w: mkdir --ttl 1 td", "mkdir", "--ttl", "1", w + "/td"));
  }
}
