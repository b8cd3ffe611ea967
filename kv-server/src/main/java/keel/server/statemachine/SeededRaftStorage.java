package keel.server.statemachine;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServerConfigKeys.Log.CorruptionPolicy;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.server.storage.RaftStorageImpl;
import org.apache.ratis.server.storage.RaftStorageMetadata;
import org.apache.ratis.server.storage.StorageImplUtils;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.SizeInBytes;

/**
 * A member's Raft storage made to start from a given state, as if a log up to {@code at} had been
 * applied and compacted into a snapshot: Ratis's own storage, formatted, holding that state as
 * this member's latest snapshot at {@code at} and no log entry. The log goes on from the entry
 * after it, so a member added later gets the state as a snapshot from the leader (a log that
 * started from a state kept outside it would be replayed on an empty store there).
 *
 * <p>Written beside the data dir's {@code raft} directory, marked ready once synced, then moved into
 * place: a stop before it was ready leaves the member's old storage as it was, one after is
 * finished at the next start ({@link #finishInterrupted}).
 */
public final class SeededRaftStorage {
  private SeededRaftStorage() {}

  /**
   * Replaces the storage of {@code group} under {@code raftDir} (Ratis's storage dir, holding one
   * directory per group) with one that starts from {@code state} at {@code at}.
   *
   * @param configuration the Raft configuration it starts with (recorded as of {@code at}); empty:
   *     the one the member is started with
   */
  static void create(Path raftDir, RaftGroupId group, TermIndex at, Applier state, List<RaftPeer> configuration)
      throws IOException {
    Path seeding = seedingDir(raftDir);
    deleteTree(seeding);
    Path staging = seeding.resolve("new").resolve(group.getUuid().toString());
    Files.createDirectories(staging);
    RaftStorageImpl storage = StorageImplUtils.newRaftStorage(staging.toFile(), SizeInBytes.valueOf(0),
        RaftStorage.StartupOption.FORMAT, CorruptionPolicy.EXCEPTION);
    storage.initialize();
    try {
      // the next election is for a later term than any entry before the snapshot
      storage.getMetadataFile().persist(RaftStorageMetadata.valueOf(at.getTerm(), null));
      if (!configuration.isEmpty()) {
        storage.writeRaftConfiguration(LogEntryProto.newBuilder().setTerm(at.getTerm()).setIndex(at.getIndex())
            .setConfigurationEntry(RaftConfigurationProto.newBuilder()
                .addAllPeers(configuration.stream().map(RaftPeer::getRaftPeerProto).toList()))
            .build());
      }
      SimpleStateMachineStorage snapshots = new SimpleStateMachineStorage();
      snapshots.init(storage);
      File file = snapshots.getSnapshotFile(at.getTerm(), at.getIndex());
      Files.createDirectories(file.getParentFile().toPath());
      SnapshotFile.write(file, state.capture());
    } finally {
      storage.close();
    }
    Files.deleteIfExists(staging.resolve("in_use.lock"));
    syncTree(seeding);
    Files.write(seeding.resolve(READY), new byte[0]);
    syncTree(seeding);
    finishInterrupted(raftDir);
  }

  /**
   * Completes a replacement that a stop interrupted once the new storage was whole (the member's
   * old storage stays otherwise); does nothing when none was under way. Call before Raft starts.
   */
  public static void finishInterrupted(Path raftDir) throws IOException {
    Path seeding = seedingDir(raftDir);
    if (!Files.exists(seeding.resolve(READY))) {
      deleteTree(seeding); // a replacement stopped before its new storage was whole, or none
      return;
    }
    Path fresh = seeding.resolve("new");
    if (Files.isDirectory(fresh)) {
      Files.createDirectories(raftDir);
      Files.createDirectories(seeding.resolve("old"));
      try (Stream<Path> groups = Files.list(fresh)) {
        for (Path group : groups.toList()) {
          Path target = raftDir.resolve(group.getFileName());
          if (Files.exists(target)) {
            Files.move(target, seeding.resolve("old").resolve(group.getFileName()), StandardCopyOption.ATOMIC_MOVE);
          }
          Files.move(group, target, StandardCopyOption.ATOMIC_MOVE);
        }
      }
      syncDirectory(raftDir);
    }
    deleteTree(seeding);
  }

  private static final String READY = "ready";

  private static Path seedingDir(Path raftDir) {
    return raftDir.resolveSibling(raftDir.getFileName() + ".seeding");
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  private static void syncTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.toList()) {
        if (Files.isRegularFile(path)) {
          try (var channel = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
          }
        } else {
          syncDirectory(path);
        }
      }
    }
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (var channel = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
