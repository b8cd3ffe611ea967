package keel.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A member's Raft storage replaced whole, or not at all, whatever the moment a stop comes. */
class SeededRaftStorageTest {
  private static final RaftGroupId GROUP = RaftGroupId.randomId();

  @TempDir
  Path dataDir;

  private Path raftDir() {
    return dataDir.resolve("raft");
  }

  private Path group() {
    return raftDir().resolve(GROUP.getUuid().toString());
  }

  private void oldStorage() throws IOException {
    Files.createDirectories(group().resolve("current"));
    Files.writeString(group().resolve("current").resolve("log_inprogress_0"), "old log");
  }

  @Test
  void replacesTheGroupsStorageWithOneStartingFromTheSnapshot() throws IOException {
    oldStorage();
    SeededRaftStorage.create(raftDir(), GROUP, TermIndex.valueOf(3, 42), new Applier(new Applier.Settings(1)), List.of());
    assertThat(group().resolve("current").resolve("log_inprogress_0")).doesNotExist();
    assertThat(group().resolve("current").resolve("raft-meta")).exists();
    assertThat(group().resolve("sm").resolve("snapshot.3_42")).exists();
    assertThat(dataDir.resolve("raft.seeding")).doesNotExist();
  }

  @Test
  void aReplacementStoppedBeforeItsStorageWasReadyLeavesTheOldOne() throws IOException {
    oldStorage();
    Path staged = dataDir.resolve("raft.seeding").resolve("new").resolve(GROUP.getUuid().toString());
    Files.createDirectories(staged.resolve("current"));
    SeededRaftStorage.finishInterrupted(raftDir());
    assertThat(Files.readString(group().resolve("current").resolve("log_inprogress_0"))).isEqualTo("old log");
    assertThat(dataDir.resolve("raft.seeding")).doesNotExist();
  }

  @Test
  void aReplacementStoppedOnceReadyIsFinishedAtTheNextStart() throws IOException {
    oldStorage();
    Path seeding = dataDir.resolve("raft.seeding");
    Path staged = seeding.resolve("new").resolve(GROUP.getUuid().toString());
    Files.createDirectories(staged.resolve("sm"));
    Files.writeString(staged.resolve("sm").resolve("snapshot.1_7"), "new state");
    Files.write(seeding.resolve("ready"), new byte[0]);
    SeededRaftStorage.finishInterrupted(raftDir());
    assertThat(Files.readString(group().resolve("sm").resolve("snapshot.1_7"))).isEqualTo("new state");
    assertThat(group().resolve("current")).doesNotExist();
    assertThat(seeding).doesNotExist();
  }

  @Test
  void aReplacementStoppedAfterTheOldStorageWasMovedAsideIsFinished() throws IOException {
    Path seeding = dataDir.resolve("raft.seeding");
    Path staged = seeding.resolve("new").resolve(GROUP.getUuid().toString());
    Files.createDirectories(staged.resolve("sm"));
    Files.createDirectories(seeding.resolve("old").resolve(GROUP.getUuid().toString()));
    Files.write(seeding.resolve("ready"), new byte[0]);
    Files.createDirectories(raftDir());
    SeededRaftStorage.finishInterrupted(raftDir());
    assertThat(group().resolve("sm")).isDirectory();
    assertThat(seeding).doesNotExist();
  }
}
