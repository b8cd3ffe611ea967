package keel.server.statemachine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import keel.server.lease.Lessor;
import keel.server.watch.EventSink;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.protocol.TermIndex;

/**
 * A snapshot file as an operator handles it ({@code etcdctl snapshot save} writes what a member's
 * Maintenance Snapshot streams: a {@link SnapshotFile}): checked and summed up ({@code keel
 * snapshot status}), and made the starting state of a new member's data dir ({@code keel snapshot
 * restore}). A restored data dir holds the file as {@value #FILE_NAME}; at the member's first start
 * it becomes the snapshot its Raft storage starts from ({@link #seedRaftStorage}), so every member
 * of a cluster restored from one file applies the same log to the same state, and a member added
 * later gets that state from the leader as a snapshot.
 */
public final class SnapshotRestore {
  /** Where a restored data dir keeps the snapshot it starts from. */
  public static final String FILE_NAME = "restored.snap";

  /**
   * etcd's snapshot stream, which {@code etcdctl snapshot save} checks: the snapshot, zeros up to
   * a multiple of {@value #STREAM_SECTOR} bytes, then the {@value #STREAM_DIGEST}-byte SHA-256 of
   * all before. A member's Maintenance Snapshot writes it, {@link #extract} reads it.
   */
  public static final int STREAM_SECTOR = 512;
  public static final int STREAM_DIGEST = 32;

  /** The zeros that follow a snapshot of {@code size} bytes in etcd's stream. */
  public static int streamPadding(long size) {
    return (int) ((STREAM_SECTOR - size % STREAM_SECTOR) % STREAM_SECTOR);
  }

  /** The stream's digest. */
  public static java.security.MessageDigest streamDigest() {
    try {
      return java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  /** What {@code etcdctl snapshot status} prints, for a Keel snapshot. */
  public record Summary(long hash, long revision, long totalKeys, long totalSize) {}

  /** A snapshot file that is not a whole Keel snapshot: {@code reason} says what is wrong. */
  public static final class BadSnapshotException extends IOException {
    BadSnapshotException(Path file, String reason) {
      super("snapshot file " + file.toAbsolutePath() + " is not a whole Keel snapshot: " + reason);
    }
  }

  private SnapshotRestore() {}

  /** The starting snapshot of a restored data dir (it may not exist). */
  public static Path seedOf(Path dataDir) {
    return dataDir.resolve(FILE_NAME);
  }

  /**
   * Verifies {@code file} whole (etcd's SHA-256 trailer when it has one, Keel's checksum and
   * markers, every store readable) and sums it up.
   */
  public static Summary summary(Path file) throws IOException {
    Path payload = Files.createTempFile("keel-snapshot-", ".snap");
    try {
      return summary(file, extract(file, payload));
    } finally {
      Files.deleteIfExists(payload);
    }
  }

  private static Summary summary(Path file, Path payload) throws IOException {
    verify(file, payload);
    Applier applier = read(file, payload);
    return new Summary(SnapshotFile.storedChecksum(payload.toFile()), applier.store().currentRevision(), applier.store().liveKeys(), Files.size(file));
  }

  /**
   * Makes {@code dataDir} (which must not exist yet, as etcd's restore insists) the data dir of a
   * member that starts from {@code file}. Verifies the file first; nothing is left when it fails.
   */
  public static Summary restore(Path file, Path dataDir) throws IOException {
    if (Files.exists(dataDir)) {
      throw new IOException("data-dir \"" + dataDir + "\" exists");
    }
    Path payload = Files.createTempFile("keel-snapshot-", ".snap");
    try {
      Summary summary = summary(file, extract(file, payload));
      Files.createDirectories(dataDir);
      Path partial = dataDir.resolve(FILE_NAME + ".partial");
      Files.copy(payload, partial);
      try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      Files.move(partial, seedOf(dataDir), StandardCopyOption.ATOMIC_MOVE);
      return summary;
    } finally {
      Files.deleteIfExists(payload);
    }
  }

  /**
   * Copies the Keel snapshot inside {@code file} to {@code payload}: the file itself, or, when it is
   * what a member's Maintenance Snapshot streamed (etcd's form, see {@link #STREAM_SECTOR}), the
   * snapshot before the zeros once the digest matched.
   */
  static Path extract(Path file, Path payload) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new java.io.FileNotFoundException("snapshot file " + file.toAbsolutePath() + " does not exist");
    }
    long size = Files.size(file);
    if (size % STREAM_SECTOR != STREAM_DIGEST || SnapshotFile.endsWithEndMarker(file.toFile())) {
      Files.copy(file, payload, StandardCopyOption.REPLACE_EXISTING);
      return payload;
    }
    java.security.MessageDigest sha256 = streamDigest();
    long end = 0; // after the last byte that is not padding
    try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16);
         java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(payload), 1 << 16)) {
      byte[] buffer = new byte[1 << 16];
      long position = 0;
      long body = size - STREAM_DIGEST;
      long zeros = 0; // zeros read since the last other byte, held back until one follows
      while (position < body) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, body - position));
        if (n < 0) {
          throw new BadSnapshotException(file, "it ended early");
        }
        sha256.update(buffer, 0, n);
        for (int i = 0; i < n; i++) {
          if (buffer[i] == 0) {
            zeros++;
          } else {
            for (; zeros > 0; zeros--) {
              out.write(0);
            }
            out.write(buffer[i]);
            end = position + i + 1;
          }
        }
        position += n;
      }
      byte[] digest = in.readNBytes(STREAM_DIGEST);
      if (!java.util.Arrays.equals(digest, sha256.digest())) {
        throw new BadSnapshotException(file, "its sha256 digest does not match its contents");
      }
    }
    if (size - STREAM_DIGEST - end >= STREAM_SECTOR) {
      throw new BadSnapshotException(file, "it ends in more zeros than padding");
    }
    return payload;
  }

  /**
   * At a restored member's first start: makes the Raft storage of {@code group} under {@code
   * raftDir} start from the data dir's restored snapshot (its keys, leases and alarms; the
   * membership and the v2 tree are the new cluster's own), then removes the file. Does nothing on a
   * data dir that was not restored or whose storage exists already.
   *
   * @param initialMembers how many members the new cluster is founded with ({@link Applier#newV2Store})
   */
  public static void seedRaftStorage(Path dataDir, Path raftDir, RaftGroupId group, Applier.Settings settings,
      int initialMembers) throws IOException {
    Path seed = seedOf(dataDir);
    if (!Files.exists(seed)) {
      return;
    }
    if (!Files.isDirectory(raftDir.resolve(group.getUuid().toString()))) {
      Applier state = SnapshotFile.read(seed.toFile(), in -> Applier.restoredFrom(in, settings, Lessor.Listener.NONE,
          EventSink.NONE, Applier.newV2Store(initialMembers, Runnable::run), new keel.server.mvcc.MvccCounters()));
      SeededRaftStorage.create(raftDir, group, TermIndex.valueOf(0, 0), state, List.of());
    }
    Files.delete(seed);
  }

  private static void verify(Path file, Path payload) throws IOException {
    try {
      SnapshotFile.verify(payload.toFile());
    } catch (SnapshotFile.CorruptSnapshotException e) {
      throw new BadSnapshotException(file, e.reason());
    }
  }

  private static Applier read(Path file, Path payload) throws IOException {
    try {
      return SnapshotFile.read(payload.toFile(), in -> Applier.restoredFrom(in, new Applier.Settings(1),
          Lessor.Listener.NONE, EventSink.NONE, Applier.newV2Store(1, Runnable::run),
          new keel.server.mvcc.MvccCounters()));
    } catch (java.io.EOFException | RuntimeException e) {
      throw new BadSnapshotException(file, "its checksum holds but its stores do not read back (" + e + ")");
    }
  }
}
