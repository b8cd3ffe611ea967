package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debian's {@code etcdctl watch} against a fresh 3-member etcd 3.4 and a fresh 3-member Keel: live
 * watches (with --prev-kv, --prefix, -w json) while a fixed sequence of puts, deletes and a txn
 * runs; history watches from --rev; watches from a compacted revision and from exactly the compact
 * revision. Both transcripts are masked ({@link EtcdctlMask}) and must be equal step by step.
 */
@Timeout(value = 300)
class WatchDifferentialIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void etcdctlWatchPrintsWhatItPrintsAgainstEtcd() throws IOException {
    String prefix = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = transcript(EtcdctlDifferentialIT.ETCD, prefix);
    etcd.write("watch-transcript-etcd.txt");
    // known etcd answers, so the comparison cannot pass on two empty transcripts
    assertThat(etcd.result("live --prefix --prev-kv").stdout())
        .startsWith("progress notify: 1\nPUT\n<p>a\n1\nPUT\n<p>b\n2\nPUT\n<p>a\n1\n<p>a\n11\n");
    assertThat(etcd.result("watch --rev=3 after compaction 5").stderr())
        .contains("watch was canceled (etcdserver: mvcc: required revision has been compacted)");

    EtcdctlTranscript keel = transcript(EtcdctlDifferentialIT.KEEL, prefix);
    keel.write("watch-transcript-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, text -> text);
  }

  /** What the last write of the sequence puts into every watched range. */
  static final String END = "the-end";
  static final String END_JSON = java.util.Base64.getEncoder().encodeToString(END.getBytes(StandardCharsets.UTF_8));

  /**
   * On a fresh cluster (revision 1) the sequence takes revisions 2..11. Live watches run
   * interactively ({@code watch -i}) with a {@code progress} line after the watch line: its answer
   * comes after the watch is registered (the server handles a stream's requests in order), so
   * "progress notify" on stdout means the watch is live before the first write.
   */
  static EtcdctlTranscript transcript(Target target, String p) {
    try (ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(3)
        .clusterName(target.name() + "-w-" + p.substring(3, 8)).start()) {
      Etcdctl all = Etcdctl.of(cluster.clientEndpoints());
      // every member serves watches after apply, followers too
      Etcdctl one = Etcdctl.of(cluster.member(2).address().clientEndpoint());
      EtcdctlTranscript t = new EtcdctlTranscript(p);
      List<Live> live = new ArrayList<>();
      live.add(live(all, "live --prefix --prev-kv", false, "watch --prefix " + p + " --prev-kv"));
      live.add(live(one, "live json --prefix on member 3", true, "watch --prefix " + p));
      live.add(live(all, "live single key a --prev-kv", false, "watch " + p + "a --prev-kv"));
      live.add(live(all, "live range [a, c)", false, "watch " + p + "a " + p + "c"));
      live.add(live(all, "live range [d, \\x7f) json --prev-kv", true, "watch " + p + "d " + p + "\u007f --prev-kv"));
      for (Live l : live) {
        l.process().awaitStdout("progress notify:", WAIT);
      }
      for (Step step : sequence(p)) {
        t.add(step, all.run(step.args(), step.stdin()));
      }
      for (Live l : live) {
        l.process().awaitStdout(l.json() ? END_JSON : END, WAIT);
        t.add(l.step(), l.process().stop());
      }
      // history: from a past revision, ended once it printed the last write
      history(t, all, "history --rev=2 --prefix --prev-kv", false, "watch", "--rev=2", "--prefix", p, "--prev-kv");
      history(t, all, "history --rev=6 single key a json", true, "watch", "--rev=6", p + "a", "-w", "json");
      history(t, one, "history --rev=4 --prefix on member 3", false, "watch", "--rev=4", "--prefix", p);
      history(t, all, "history --rev=3 NOPUT-free range [a, e) --prev-kv", false,
          "watch", "--rev=3", p + "a", p + "e", "--prev-kv");
      // compaction: below the compact revision the watch is canceled; at it, history works
      t.add(Step.of("compaction 5", "compaction", "5"), all.run("compaction", "5"));
      t.add(Step.of("watch --rev=3 after compaction 5", "watch", "--rev=3", "--prefix", p),
          all.run("watch", "--rev=3", "--prefix", p));
      t.add(Step.of("watch --rev=4 json after compaction 5", "watch", "--rev=4", p + "a", "-w", "json"),
          all.run("watch", "--rev=4", p + "a", "-w", "json"));
      history(t, all, "history --rev=5 (the compact revision) --prefix --prev-kv", false,
          "watch", "--rev=5", "--prefix", p, "--prev-kv");
      return t;
    }
  }

  private record Live(Step step, boolean json, Etcdctl.Background process) {}

  private static Live live(Etcdctl etcdctl, String label, boolean json, String watchLine) {
    List<String> args = json ? List.of("watch", "-i", "-w", "json") : List.of("watch", "-i");
    String stdin = watchLine + "\nprogress\n";
    return new Live(Step.withStdin(label, stdin, args.toArray(String[]::new)), json,
        etcdctl.interactive(args, stdin));
  }

  private static void history(EtcdctlTranscript t, Etcdctl etcdctl, String label, boolean json, String... args) {
    try (Etcdctl.Background watch = etcdctl.background(args)) {
      watch.awaitStdout(json ? END_JSON : END, WAIT);
      t.add(Step.of(label, args), watch.stop());
    }
  }

  static List<Step> sequence(String p) {
    List<Step> s = new ArrayList<>();
    s.add(Step.of("put a=1", "put", p + "a", "1"));                               // 2
    s.add(Step.of("put b=2", "put", p + "b", "2"));                               // 3
    s.add(Step.of("put a=11", "put", p + "a", "11"));                             // 4
    s.add(Step.of("del b", "del", p + "b"));                                      // 5
    s.add(Step.withStdin("txn put c, put d, del a",                               // 6
        EtcdctlDifferentialIT.txn(List.of(), List.of("put " + p + "c 3", "put " + p + "d 4", "del " + p + "a"),
            List.of()), "txn"));
    s.add(Step.of("put a=again", "put", p + "a", "again"));                       // 7
    s.add(Step.of("put e=5", "put", p + "e", "5"));                               // 8
    s.add(Step.of("del prefix", "del", p, "--prefix"));                           // 9
    s.add(Step.of("put other prefix (not watched)", "put", "other-" + p, "x"));   // 10
    s.add(Step.withStdin("txn: the last write, in every watched range",           // 11
        EtcdctlDifferentialIT.txn(List.of(), List.of("put " + p + "a " + END, "put " + p + "end " + END),
            List.of()), "txn"));
    return s;
  }
}
