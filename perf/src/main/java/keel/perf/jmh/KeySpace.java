package keel.perf.jmh;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.PutRequest;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import keel.server.ServerConfig;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.lease.Lessor;
import keel.server.statemachine.Applier;

/**
 * The data every benchmark works on, in one place: keys shaped like a Kubernetes registry's
 * ({@code /registry/pods/default/pod-00000042}), 256-byte values, and a store filled through the
 * {@link Applier} as the Raft log would fill it (one put per entry), so that its key index and
 * history look like a real member's, not like a bulk-loaded map.
 *
 * <p>Random choices come from a fixed seed: every run, and every fork, measures the same keys.
 */
final class KeySpace {
  /** etcd's benchmark tool defaults to 8-byte values; 256 bytes is closer to what coordination data holds. */
  static final int VALUE_BYTES = 256;
  /** The term every benchmark applies in: only lease expiries look at it. */
  static final long TERM = 1;
  static final long SEED = 42;

  private KeySpace() {}

  static ByteString key(int i) {
    return ByteString.copyFrom(String.format("/registry/pods/default/pod-%08d", i), StandardCharsets.US_ASCII);
  }

  /** A value of {@link #VALUE_BYTES} random bytes: protobuf cannot shorten it, as it could zeros. */
  static ByteString value(Random random) {
    byte[] bytes = new byte[VALUE_BYTES];
    random.nextBytes(bytes);
    return ByteString.copyFrom(bytes);
  }

  /** An applier with the settings a member started with etcd's defaults applies with. */
  static Applier newApplier() {
    return new Applier(settings());
  }

  static Applier.Settings settings() {
    return new Applier.Settings(Lessor.minTtlSeconds(ServerConfig.DEFAULT_ELECTION_MILLIS));
  }

  /**
   * Puts keys {@code 0..keys-1}, each with a value of its own, one applied command each, from log
   * index {@code firstIndex}.
   *
   * @return the next free log index
   */
  static long fill(Applier applier, int keys, long firstIndex) {
    Random random = new Random(SEED);
    long index = firstIndex;
    for (int i = 0; i < keys; i++) {
      Command put = Command.newBuilder()
          .setPut(PutRequest.newBuilder().setKey(key(i)).setValue(value(random)))
          .build();
      requireApplied(applier.apply(index++, TERM, put));
    }
    return index;
  }

  /**
   * Compacts everything below the current revision through the log's compaction command, as
   * etcd's auto-compaction would: a benchmark that overwrites keys keeps its history (and its
   * heap and the space quota) from growing without bound between iterations.
   *
   * @return the next free log index
   */
  static long compact(Applier applier, long index) {
    long revision = applier.store().currentRevision();
    if (revision <= applier.store().compactRevision()) {
      return index; // nothing written since the last compaction: etcd would answer COMPACTED
    }
    Command compaction = Command.newBuilder()
        .setCompaction(CompactionRequest.newBuilder().setRevision(revision))
        .build();
    requireApplied(applier.apply(index, TERM, compaction));
    return index + 1;
  }

  /**
   * Apply errors are data, not exceptions: a benchmark that hit one (the space quota, say) would go
   * on measuring a refusal. This makes it fail instead.
   */
  static CommandResult requireApplied(CommandResult result) {
    if (result.getBodyCase() == CommandResult.BodyCase.ERROR) {
      throw new IllegalStateException("applying a benchmark command failed: " + result.getError());
    }
    return result;
  }
}
