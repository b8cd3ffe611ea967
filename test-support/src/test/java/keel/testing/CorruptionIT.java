package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.Client;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import keel.server.embed.EmbeddedCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A damaged snapshot or Raft log on disk: the member refuses to start and names the file. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CorruptionIT {
  @TempDir
  Path dataDir;

  @Test
  void corruptSnapshotIsRefusedWithItsPath() throws Exception {
    EmbeddedCluster cluster = writeAndStop(b -> b.snapshotCount(20));
    Path snapshot = newest(dataDir, "snapshot\\.\\d+_\\d+");
    flipByteInTheMiddle(snapshot);

    assertThatThrownBy(() -> cluster.start(0))
        .satisfies(e -> assertThat(messages(e)).contains(snapshot.getFileName().toString()).contains("corrupt"));
    cluster.close();
  }

  @Test
  void corruptRaftLogIsRefusedWithItsPath() throws Exception {
    EmbeddedCluster cluster = writeAndStop(b -> b.snapshotCount(100_000));
    Path segment = newest(dataDir, "log_.*");
    flipByteInTheMiddle(segment);

    assertThatThrownBy(() -> cluster.start(0))
        .satisfies(e -> assertThat(messages(e)).contains(segment.getFileName().toString()));
    cluster.close();
  }

  private EmbeddedCluster writeAndStop(java.util.function.UnaryOperator<keel.server.ServerConfig.Builder> flags)
      throws Exception {
    EmbeddedCluster cluster = EmbeddedCluster.builder().members(1).dataDir(dataDir).flags(flags).start();
    try {
      Deadlines.await("leader", java.time.Duration.ofSeconds(20)).until(() -> cluster.leaderIndex().isPresent());
      try (Client client = Client.builder().endpoints(cluster.clientEndpoints().toArray(URI[]::new)).build()) {
        for (int i = 0; i < 50; i++) {
          client.getKVClient().put(bytes("corrupt/" + i), bytes("value-" + i)).get(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      cluster.stop(0);
    }
    return cluster;
  }

  private static Path newest(Path root, String nameRegex) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      List<Path> matching = files.filter(p -> p.getFileName().toString().matches(nameRegex))
          .sorted(Comparator.comparing(p -> p.toFile().lastModified())).toList();
      assertThat(matching).as("files named %s under %s", nameRegex, root).isNotEmpty();
      return matching.get(matching.size() - 1);
    }
  }

  private static void flipByteInTheMiddle(Path file) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      long at = raf.length() / 2;
      raf.seek(at);
      int b = raf.read();
      raf.seek(at);
      raf.write(b ^ 0xFF);
    }
  }

  private static String messages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append('\n');
    }
    return all.toString();
  }
}
