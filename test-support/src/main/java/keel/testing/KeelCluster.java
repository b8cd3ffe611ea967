package keel.testing;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import keel.server.ServerConfig;
import keel.server.embed.EmbeddedCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An in-process Keel cluster for a test class, started through the embedding API, with a jetcd
 * client on all members. Tests share it and keep apart by {@link #uniqueKey()}.
 *
 * <pre>{@code
 * @RegisterExtension static final KeelCluster cluster = KeelCluster.ofSize(3);
 * }</pre>
 */
public final class KeelCluster implements BeforeAllCallback, AfterAllCallback {
  private final int size;
  private final UnaryOperator<ServerConfig.Builder> flags;
  private final AtomicLong keys = new AtomicLong();
  private final String prefix = "test-" + UUID.randomUUID().toString().substring(0, 8) + "/";
  private Path dataDir;
  private EmbeddedCluster cluster;
  private Client client;

  private KeelCluster(int size, UnaryOperator<ServerConfig.Builder> flags) {
    this.size = size;
    this.flags = flags;
  }

  public static KeelCluster ofSize(int size) {
    return new KeelCluster(size, UnaryOperator.identity());
  }

  public static KeelCluster ofSize(int size, UnaryOperator<ServerConfig.Builder> flags) {
    return new KeelCluster(size, flags);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dataDir = Files.createTempDirectory("keel-test");
    cluster = EmbeddedCluster.builder().members(size).dataDir(dataDir).flags(flags).start();
    awaitLeader();
    client = Client.builder().endpoints(endpoints().toArray(URI[]::new)).build();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      if (client != null) {
        client.close();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
      TempDirs.deleteQuietly(dataDir);
    }
  }

  public EmbeddedCluster cluster() {
    return cluster;
  }

  public List<URI> endpoints() {
    return cluster.clientEndpoints();
  }

  public Client client() {
    return client;
  }

  public KV kv() {
    return client.getKVClient();
  }

  /** A key no other test of this run uses. */
  public ByteSequence uniqueKey() {
    return bytes(prefix + "k" + keys.incrementAndGet());
  }

  /** A prefix no other test of this run uses, ending in "/". */
  public String uniquePrefix() {
    return prefix + "p" + keys.incrementAndGet() + "/";
  }

  public int awaitLeader() {
    return Deadlines.await("a leader among " + size + " members", Duration.ofSeconds(30))
        .until(() -> cluster.leaderIndex().orElse(-1), index -> index >= 0);
  }

  public static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }
}
