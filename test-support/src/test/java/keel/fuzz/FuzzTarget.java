package keel.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import keel.server.ServerConfig;
import keel.server.embed.EmbeddedCluster;
import keel.testing.Deadlines;
import keel.testing.TempDirs;

/**
 * The Keel that a fuzz class attacks: an in-process cluster (jqwik properties cannot use JUnit
 * Jupiter extensions such as KeelCluster, so the class starts and closes this itself), plus the
 * checks every batch of bad input must pass afterwards:
 *
 * <ul>
 *   <li>the member still serves: a put and a get of a fresh key work;
 *   <li>nothing leaked: this JVM's open file descriptors ({@code /proc/self/fd}) and live threads
 *       settle back to what they were before the batch, give or take a small slack (client-side
 *       pools of the test itself come and go);
 *   <li>a rejected request changed nothing: the store's revision is the same as before.
 * </ul>
 */
final class FuzzTarget implements AutoCloseable {
  /** Descriptors and threads the test's own clients may still hold a moment after a batch. */
  private static final int FD_SLACK = 16;
  private static final int THREAD_SLACK = 8;

  private final Path dataDir;
  private final EmbeddedCluster cluster;
  private final Client client;
  private long keys;

  private FuzzTarget(Path dataDir, EmbeddedCluster cluster) {
    this.dataDir = dataDir;
    this.cluster = cluster;
    this.client = Client.builder().endpoints(cluster.clientEndpoints().toArray(URI[]::new)).build();
  }

  static FuzzTarget start(int members, UnaryOperator<ServerConfig.Builder> flags) throws IOException {
    Path dir = Files.createTempDirectory("keel-fuzz");
    EmbeddedCluster cluster;
    try {
      cluster = EmbeddedCluster.builder().members(members).dataDir(dir).flags(flags).start();
    } catch (IOException | RuntimeException e) {
      TempDirs.deleteQuietly(dir);
      throw e;
    }
    FuzzTarget target = new FuzzTarget(dir, cluster);
    Deadlines.await("a leader among " + members + " members", Duration.ofSeconds(30))
        .until(() -> cluster.leaderIndex().isPresent());
    target.assertServes();
    return target;
  }

  EmbeddedCluster cluster() {
    return cluster;
  }

  URI endpoint() {
    return cluster.clientEndpoints().get(0);
  }

  /** The store's revision, read linearizably through the leader's ReadIndex. */
  long revision() {
    try {
      return client.getKVClient().get(ByteSequence.from(new byte[] {0})).get(10, TimeUnit.SECONDS)
          .getHeader().getRevision();
    } catch (Exception e) {
      throw new AssertionError("the member did not answer a get: " + e, e);
    }
  }

  /** The member still serves: a put of a fresh key, then a get that sees it. */
  void assertServes() {
    ByteSequence key = ByteSequence.from(("fuzz/alive/" + (++keys)).getBytes());
    ByteSequence value = ByteSequence.from(("v" + keys).getBytes());
    try {
      client.getKVClient().put(key, value).get(10, TimeUnit.SECONDS);
      assertThat(client.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs())
          .as("the key just put").singleElement().satisfies(kv -> assertThat(kv.getValue()).isEqualTo(value));
      // Gone again, so that Keel holds the same keys as the etcd it is compared with (a txn
      // comparing every key's version found this one, which etcd never had).
      assertThat(client.getKVClient().delete(key).get(10, TimeUnit.SECONDS).getDeleted()).as("the key deleted").isOne();
    } catch (Exception e) {
      throw new AssertionError("the member no longer serves a put and a get: " + e, e);
    }
  }

  /** What this JVM holds now: open file descriptors and live threads. */
  static Resources resources() {
    return new Resources(openFds(), ManagementFactory.getThreadMXBean().getThreadCount());
  }

  /** Waits (bounded) for descriptors and threads to settle back to {@code before} plus the slack. */
  static void assertNoLeak(Resources before, String batch) {
    try {
      Deadlines.await(batch + ": descriptors and threads back near " + before, Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> {
            Resources now = resources();
            return now.fds() <= before.fds() + FD_SLACK && now.threads() <= before.threads() + THREAD_SLACK;
          });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(batch + " leaked: before " + before + ", now " + resources() + " (slack "
          + FD_SLACK + " fds, " + THREAD_SLACK + " threads)", e);
    }
  }

  private static int openFds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  record Resources(int fds, int threads) {
    @Override
    public String toString() {
      return fds + " fds, " + threads + " threads";
    }
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      try {
        cluster.close();
      } finally {
        TempDirs.deleteQuietly(dataDir);
      }
    }
  }

  static List<URI> endpoints(EmbeddedCluster cluster) {
    return cluster.clientEndpoints();
  }
}
