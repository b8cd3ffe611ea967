package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debian's {@code etcdctl elect}, {@code elect -l} and {@code lock} against a fresh 3-member etcd
 * 3.4 and a fresh 3-member Keel: a campaign, an observer, a second contender that waits until the
 * first resigns (SIGTERM), and a lock that runs a command while held. etcdctl runs etcd's
 * concurrency recipes itself, so this checks Keel's KV, lease and watch semantics under them.
 * Contender keys end in the session's lease id, masked as {@code <lease>}.
 */
@Timeout(value = 300)
class ElectionDifferentialIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void etcdctlElectAndLockPrintWhatTheyPrintAgainstEtcd() throws IOException {
    String prefix = EtcdctlDifferentialIT.uniquePrefix();
    Map<String, String> etcd = run(EtcdctlDifferentialIT.ETCD, prefix);
    Map<String, String> keel = run(EtcdctlDifferentialIT.KEEL, prefix);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target/elect-transcript-etcd.txt"), etcd.toString(), StandardCharsets.UTF_8);
    Files.writeString(Path.of("target/elect-transcript-keel.txt"), keel.toString(), StandardCharsets.UTF_8);
    System.out.println(etcd);
    assertThat(etcd.get("first campaign")).isEqualTo("<p>el/<lease>\nfirst\n");
    assertThat(etcd.get("second before the first resigns")).isEmpty();
    for (String step : etcd.keySet()) {
      assertThat(keel.get(step)).as(step).isEqualTo(etcd.get(step));
    }
    assertThat(keel.keySet()).containsExactlyElementsOf(etcd.keySet());
  }

  private static Map<String, String> run(EtcdctlDifferentialIT.Target target, String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    try (ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(3)
        .clusterName(target.name() + "-el-" + prefix.substring(3, 8)).start()) {
      Etcdctl etcdctl = Etcdctl.of(cluster.clientEndpoints());
      Etcdctl.Result locked = etcdctl.run("lock", prefix + "lk", "--", "echo", "ran-while-locked");
      out.put("lock with a command", mask(locked.stdout() + "exit " + locked.exitCode() + "\n", prefix));

      // one at a time: the first must be first to create its key, or it would not lead
      try (Etcdctl.Background first = etcdctl.background("elect", prefix + "el", "first")) {
        first.awaitStdout("first\n", WAIT);
        try (Etcdctl.Background observer = etcdctl.background("elect", "-l", prefix + "el")) {
          observer.awaitStdout("first\n", WAIT);
          try (Etcdctl.Background second = etcdctl.background("elect", prefix + "el", "second")) {
            out.put("first campaign", mask(first.stdout(), prefix));
            // the second contender has campaigned once its key exists; it must still wait
            Deadlines.await("second contender's key", WAIT).until(() ->
                etcdctl.run("get", "--prefix", prefix + "el/", "--keys-only").stdout().lines()
                    .filter(line -> !line.isEmpty()).count() == 2);
            out.put("second before the first resigns", mask(second.stdout(), prefix));
            out.put("leader while both campaign", mask(etcdctl.run("get", "--prefix", prefix + "el/",
                "--sort-by=CREATE", "--limit=1", "--print-value-only").stdout(), prefix));
            Etcdctl.Result resigned = first.terminate();
            out.put("first after SIGTERM", mask(resigned.stdout(), prefix));
            second.awaitStdout("second\n", WAIT);
            observer.awaitStdout("second\n", WAIT);
            out.put("second after the first resigned", mask(second.stdout(), prefix));
            out.put("observer", mask(observer.stdout(), prefix));
          }
        }
      }
    }
    return out;
  }

  private static String mask(String text, String prefix) {
    return text.replace(prefix, "<p>").replaceAll("(<p>[a-z]+/)[0-9a-f]+", "$1<lease>");
  }
}
