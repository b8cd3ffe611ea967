package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import keel.server.cli.SnapshotCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * A snapshot saved with Debian's {@code etcdctl snapshot save} from a live 3-member Keel under a
 * write load, restored with {@code keel snapshot restore} into the data dirs of a new 3-member
 * cluster: the new cluster serves the same keys at the same revisions, and every member's HashKV
 * equals the old cluster's at the snapshot's revision, also a member added to it afterwards. A damaged copy of the file is refused with
 * a message naming it, and no data dir is made from it.
 */
@Timeout(value = 300)
class SnapshotRestoreIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code keel snapshot ...} in this JVM, as the launcher runs it; answers exit code, stdout, stderr. */
  private static String[] keelSnapshot(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new SnapshotCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void aSnapshotSavedUnderLoadRestoresIntoANewClusterWithTheSameKeysRevisionsAndHash() throws Exception {
    Path work = Files.createTempDirectory("keel-snapshot-it-");
    try {
      saveRestoreAndCompare(work);
    } finally {
      TempDirs.deleteQuietly(work);
    }
  }

  private static void saveRestoreAndCompare(Path work) throws Exception {
    Path file = work.resolve("backup.db");
    long revision;
    String hashAtRevision;
    List<KeyValue> keysAtRevision;
    try (ClusterProcesses source = ClusterProcesses.builder(KeelProcesses.command()).size(3)
        .clusterName("snap-src").start();
         Client client = Client.builder().endpoints(source.clientUrls().toArray(String[]::new)).build()) {
      AtomicBoolean loading = new AtomicBoolean(true);
      AtomicLong written = new AtomicLong();
      Thread load = new Thread(() -> {
        while (loading.get()) {
          long n = written.incrementAndGet();
          try {
            client.getKVClient().put(bytes("snap/k" + (n % 500)), bytes("v" + n)).get(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IllegalStateException("a put of the load failed", e);
          }
        }
      }, "snapshot-it-load");
      load.start();
      try {
        Deadlines.await("some load written", java.time.Duration.ofSeconds(30)).until(() -> written.get() > 300);
        Etcdctl.Result saved = Etcdctl.of(source.member(1).address().clientEndpoint())
            .run("snapshot", "save", file.toString());
        assertThat(saved.exitCode()).as("etcdctl snapshot save: %s", saved).isZero();
        assertThat(saved.stdout()).isEqualTo("Snapshot saved at " + file + "\n");
        Deadlines.await("load written after the save", java.time.Duration.ofSeconds(30))
            .until(() -> written.get() > 600);
      } finally {
        loading.set(false);
        load.join(TimeUnit.SECONDS.toMillis(30));
      }

      String[] status = keelSnapshot("status", file.toString(), "-w", "json");
      assertThat(status[0]).as("keel snapshot status: %s", String.join(" | ", status)).isEqualTo("0");
      revision = JSON.readTree(status[1]).path("revision").asLong();
      assertThat(revision).as("the snapshot was taken under the load").isGreaterThan(300);
      long current = client.getKVClient().get(bytes("x")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
      assertThat(current).as("the load went on after the snapshot").isGreaterThan(revision);
      hashAtRevision = hashKv(Etcdctl.of(source.clientEndpoints()), revision);
      keysAtRevision = client.getKVClient().get(bytes("snap/"), GetOption.builder().isPrefix(true)
          .withRevision(revision).build()).get(10, TimeUnit.SECONDS).getKvs();
    }
    assertThat(keysAtRevision).hasSizeGreaterThan(100);

    Path damaged = work.resolve("damaged.db");
    byte[] copy = Files.readAllBytes(file);
    copy[copy.length / 2] ^= 0x5a;
    Files.write(damaged, copy);
    String[] refused = keelSnapshot("restore", damaged.toString(), "--data-dir", work.resolve("never").toString());
    assertThat(refused[0]).isNotEqualTo("0");
    assertThat(refused[2]).contains("snapshot file " + damaged.toAbsolutePath() + " is not a whole Keel snapshot")
        .contains("sha256 digest does not match");
    assertThat(work.resolve("never")).doesNotExist();
    String[] truncated = keelSnapshot("status", work.resolve("nothing-here.db").toString());
    assertThat(truncated[2]).contains("does not exist");

    List<MemberAddress> addresses = new ArrayList<>();
    ClusterProcesses.Builder restored = ClusterProcesses.builder(KeelProcesses.command()).clusterName("snap-dst");
    for (int i = 0; i < 3; i++) {
      MemberAddress a = MemberAddress.withFreePorts(ClusterProcesses.memberName(i), "127.0.0.1");
      addresses.add(a);
      restored.member(a);
    }
    String initialCluster = String.join(",", addresses.stream().map(a -> a.name() + "=" + a.peerUrl()).toList());
    for (MemberAddress a : addresses) {
      Path dataDir = work.resolve("restored-" + a.name());
      String[] done = keelSnapshot("restore", file.toString(), "--name", a.name(), "--data-dir", dataDir.toString(),
          "--initial-cluster", initialCluster, "--initial-cluster-token", "snap-dst",
          "--initial-advertise-peer-urls", a.peerUrl());
      assertThat(done[0]).as("keel snapshot restore: %s", String.join(" | ", done)).isEqualTo("0");
      restored.memberFlags(a.name(), "--data-dir", dataDir.toString());
    }
    try (ClusterProcesses target = restored.start();
         Client client = Client.builder().endpoints(target.clientUrls().toArray(String[]::new)).build()) {
      target.awaitHealthy();
      List<KeyValue> keys = client.getKVClient().get(bytes("snap/"), GetOption.builder().isPrefix(true).build())
          .get(10, TimeUnit.SECONDS).getKvs();
      assertThat(keys).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(keysAtRevision);
      for (MemberAddress a : addresses) {
        assertThat(hashKv(Etcdctl.of(a.clientEndpoint()), revision)).as("%s's HashKV at %d", a.name(), revision)
            .isEqualTo(hashAtRevision);
      }
      long next = client.getKVClient().put(bytes("snap/after"), bytes("restore")).get(10, TimeUnit.SECONDS)
          .getHeader().getRevision();
      assertThat(next).as("the first write after the restore").isEqualTo(revision + 1);

      // A member added to the restored cluster gets the restored state from the leader, not only
      // the log written since the restore (which alone would leave it an empty store).
      MemberAddress added = target.newMemberAddress("m4");
      Etcdctl.Result add = Deadlines.await("member add m4", java.time.Duration.ofSeconds(60)).until(() ->
          Etcdctl.of(target.clientEndpoints()).run("member", "add", "m4", "--peer-urls=" + added.peerUrl()),
          Etcdctl.Result::succeeded);
      java.util.regex.Matcher joined = java.util.regex.Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"")
          .matcher(add.stdout());
      assertThat(joined.find()).as("member add printed ETCD_INITIAL_CLUSTER: %s", add.stdout()).isTrue();
      MemberProcess m4 = target.join(added, joined.group(1));
      target.awaitHealthy(List.of(m4));
      assertThat(hashKv(Etcdctl.of(added.clientEndpoint()), revision)).as("the added member's HashKV at %d", revision)
          .isEqualTo(hashAtRevision);
    }
  }

  /** Every member's {@code etcdctl endpoint hashkv --rev}, once they all answer alike; that hash. */
  private static String hashKv(Etcdctl etcdctl, long revision) {
    Etcdctl.Result r = Deadlines.await("every member's HashKV at " + revision + " alike", java.time.Duration.ofSeconds(20))
        .until(() -> etcdctl.run("endpoint", "hashkv", "--rev=" + revision, "-w", "json"), result -> {
          try {
            JsonNode all = JSON.readTree(result.stdout());
            return result.exitCode() == 0 && all.size() > 0
                && all.findValues("hash").stream().map(JsonNode::asLong).distinct().count() == 1;
          } catch (java.io.IOException e) {
            return false;
          }
        });
    try {
      return JSON.readTree(r.stdout()).findValues("hash").get(0).asText();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
