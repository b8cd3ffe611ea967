package keel.agent.files;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static keel.agent.files.ManagedBlockFile.BEGIN;
import static keel.agent.files.ManagedBlockFile.END;
import static keel.agent.files.ManagedBlockFiles.assertRefusesBrokenBlock;
import static keel.agent.files.ManagedBlockFiles.block;
import static keel.agent.files.ManagedBlockFiles.inPlaceOnly;
import static keel.agent.files.ManagedBlockFiles.renamingBy;
import static keel.agent.files.TestFiles.mode;
import static keel.agent.files.TestFiles.namesIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ManagedBlockFileTest {
  /**
   * Lines that are not Keel's, with bytes a careless rewrite would damage: tab, CRLF, non-UTF-8
   * (held one char per byte, as {@link #content} reads them).
   */
  private static final String DOCKER_LINES =
      "127.0.0.1\tlocalhost\r\n::1\tlocalhost ip6-localhost\n# caf\u00e9 \u00ff\n172.17.0.2\tabc123\n";

  @TempDir Path dir;

  @Test
  void appendsABlockAndKeepsEveryOutsideByte() throws IOException {
    Path file = dockerHosts();

    assertThat(new ManagedBlockFile(file).write("10.0.0.1 a\n")).isTrue();

    assertThat(content(file)).isEqualTo(DOCKER_LINES + block("10.0.0.1 a\n"));
  }

  @Test
  void replacesOnlyTheBlockWhereverItIs() throws IOException {
    Path file = dir.resolve("hosts");
    String after = "# the user's line after the block\r\n10.9.9.9 printer";
    Files.writeString(file, DOCKER_LINES + block("old line\n") + after, ISO_8859_1);
    ManagedBlockFile managed = new ManagedBlockFile(file);

    assertThat(managed.write("10.0.0.1 a\n10.0.0.2 b\n")).isTrue();

    assertThat(content(file)).isEqualTo(DOCKER_LINES + block("10.0.0.1 a\n10.0.0.2 b\n") + after);
    assertThat(managed.readBlock()).contains("10.0.0.1 a\n10.0.0.2 b\n");
  }

  @Test
  void aLastLineWithoutNewlineGetsOneBeforeTheAppendedBlock() throws IOException {
    Path file = dir.resolve("hosts");
    Files.writeString(file, "127.0.0.1 localhost");

    new ManagedBlockFile(file).write("x");

    assertThat(Files.readString(file)).isEqualTo("127.0.0.1 localhost\n" + block("x\n"));
  }

  @Test
  void writesNothingWhenTheContentIsUnchanged() throws IOException {
    Path file = dockerHosts();
    ManagedBlockFile managed = new ManagedBlockFile(file);
    assertThat(managed.write("10.0.0.1 a\n")).isTrue();
    FileTime longAgo = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(file, longAgo);
    long size = Files.size(file);

    assertThat(managed.write("10.0.0.1 a\n")).isFalse();
    assertThat(new ManagedBlockFile(file).write("10.0.0.1 a")).isFalse(); // newline added: same

    assertThat(Files.getLastModifiedTime(file)).isEqualTo(longAgo);
    assertThat(Files.size(file)).isEqualTo(size);
  }

  @Test
  void shrinksAndGrowsToExactlyTheNewContent() throws IOException {
    Path file = dir.resolve("hosts");
    Files.writeString(file, "a\n" + block("") + "z\n");
    ManagedBlockFile managed = new ManagedBlockFile(file);
    String big = "10.0.0.1 a-rather-long-host-name\n".repeat(50);

    for (String body : List.of(big, "10.0.0.1 a\n", "", big)) {
      assertThat(managed.write(body)).isTrue();
      assertThat(Files.readString(file)).isEqualTo("a\n" + block(body) + "z\n");
    }
  }

  @Test
  void everyStateOfAWriteIsOneWholeVersionFollowedByBlankLines() throws IOException {
    Path file = dir.resolve("hosts");
    String before = "127.0.0.1 localhost\n";
    String after = "10.9.9.9 printer\n";
    Files.writeString(file, before + block("") + after);
    List<String> versions = new ArrayList<>(List.of(""));
    List<WriteStep> steps = new ArrayList<>();
    ManagedBlockFile managed =
        inPlaceOnly(
            file,
            step -> {
              steps.add(step);
              // The file between two system calls: the old or the new version, nothing else.
              String body = bodyOf(content(file), before, after);
              assertThat(body).as("after %s", step).isIn(versions.subList(versions.size() - 2, versions.size()));
            });

    for (String body : List.of("a\n", "a much longer line\n".repeat(5), "b\n", "", "c\n".repeat(3), "d\n".repeat(3))) {
      versions.add(body);
      int longer = Integer.compare(body.length(), versions.get(versions.size() - 2).length());
      steps.clear();

      assertThat(managed.write(body)).isTrue();

      assertThat(steps)
          .containsExactlyElementsOf(
              longer > 0
                  ? List.of(WriteStep.EXTENDED, WriteStep.WRITTEN)
                  : longer < 0
                      ? List.of(WriteStep.WRITTEN, WriteStep.TRUNCATED)
                      : List.of(WriteStep.WRITTEN));
      assertThat(Files.readString(file)).isEqualTo(before + block(body) + after);
    }
  }

  @Test
  void replacesTheFileByOneRenameKeepingItsMode() throws IOException {
    Path file = dockerHosts();
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    Object inodeBefore = fileKey(file);
    List<WriteStep> steps = new ArrayList<>();
    ManagedBlockFile managed = renamingBy(file, AtomicReplace.Replacer.RENAME, steps::add);

    assertThat(managed.write("10.0.0.1 a\n")).isTrue();

    assertThat(steps).containsExactly(WriteStep.RENAMED);
    assertThat(fileKey(file)).as("a new file (inode) at the path").isNotEqualTo(inodeBefore);
    assertThat(content(file)).isEqualTo(DOCKER_LINES + block("10.0.0.1 a\n"));
    assertThat(mode(file)).isEqualTo("rw-r-----");
    assertThat(namesIn(dir)).as("no temporary file left").containsExactly("hosts");
  }

  @Test
  void theRenamedFileKeepsTheOwnerAndGroup() throws IOException {
    assumeTrue("root".equals(System.getProperty("user.name")), "only root may give a file away");
    Path file = dockerHosts();
    UserPrincipalLookupService users = file.getFileSystem().getUserPrincipalLookupService();
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    view.setOwner(users.lookupPrincipalByName("12345")); // a numeric id needs no passwd entry
    view.setGroup(users.lookupPrincipalByGroupName("23456"));
    PosixFileAttributes before = view.readAttributes();

    assertThat(new ManagedBlockFile(file).write("10.0.0.1 a\n")).isTrue();

    PosixFileAttributes after = Files.readAttributes(file, PosixFileAttributes.class);
    assertThat(after.fileKey()).isNotEqualTo(before.fileKey());
    assertThat(after.owner()).isEqualTo(before.owner());
    assertThat(after.group()).isEqualTo(before.group());
  }

  @Test
  void aRefusedRenameFallsBackToInPlaceForGood() throws IOException {
    for (IOException refusal :
        List.of(
            new FileSystemException("tmp", "hosts", "Device or resource busy"), // a bind mount
            new AtomicMoveNotSupportedException("tmp", "hosts", "Invalid cross-device link"),
            new AccessDeniedException("hosts"))) {
      Path file = dockerHosts();
      Object inode = fileKey(file);
      AtomicInteger renames = new AtomicInteger();
      List<WriteStep> steps = new ArrayList<>();
      ManagedBlockFile managed =
          renamingBy(
              file,
              (temporary, target) -> {
                renames.incrementAndGet();
                assertThat(temporary).exists().hasParent(target.getParent());
                assertThat(temporary.getFileName().toString()).matches("\\.hosts\\.keel-.*\\.tmp");
                throw refusal;
              },
              steps::add);

      assertThat(managed.write("10.0.0.1 a\n")).as("after %s", refusal).isTrue();
      assertThat(steps).containsExactly(WriteStep.EXTENDED, WriteStep.WRITTEN);
      assertThat(managed.write("10.0.0.2 b\n10.0.0.3 c\n")).isTrue();
      assertThat(managed.write("10.0.0.4 d\n")).isTrue();

      assertThat(renames).as("tried once, then remembered").hasValue(1);
      assertThat(fileKey(file)).as("the same file, rewritten in place").isEqualTo(inode);
      assertThat(content(file)).isEqualTo(DOCKER_LINES + block("10.0.0.4 d\n"));
      assertThat(namesIn(dir)).as("the temporary file is deleted").containsExactly("hosts");
      Files.delete(file);
    }
  }

  @Test
  void anUnexpectedRenameFailureIsReportedAndChangesNothing() throws IOException {
    Path file = dockerHosts();
    ManagedBlockFile managed =
        renamingBy(
            file,
            (temporary, target) -> {
              throw new FileSystemException(temporary.toString(), target.toString(), "No space left on device");
            },
            WriteStep.Listener.NONE);

    assertThatThrownBy(() -> managed.write("10.0.0.1 a\n"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot write " + file + ": No space left on device");

    assertThat(content(file)).isEqualTo(DOCKER_LINES);
    assertThat(namesIn(dir)).containsExactly("hosts");
  }

  @Test
  void aSymbolicLinkStaysAndItsTargetIsReplaced() throws IOException {
    Path etc = Files.createDirectory(dir.resolve("etc"));
    Path target = etc.resolve("hosts");
    Files.writeString(target, DOCKER_LINES, ISO_8859_1);
    Path link = Files.createSymbolicLink(dir.resolve("hosts"), Path.of("etc/hosts"));
    Path dangling = Files.createSymbolicLink(dir.resolve("keys"), Path.of("etc/keys"));

    assertThat(new ManagedBlockFile(link).write("10.0.0.1 a\n")).isTrue();
    assertThat(new ManagedBlockFile(dangling).write("k\n")).isTrue();

    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("etc/hosts"));
    assertThat(content(target)).isEqualTo(DOCKER_LINES + block("10.0.0.1 a\n"));
    assertThat(Files.isSymbolicLink(dangling)).isTrue();
    assertThat(Files.readString(etc.resolve("keys"))).isEqualTo(block("k\n"));
    assertThat(namesIn(dir)).containsExactlyInAnyOrder("etc", "hosts", "keys");
    assertThat(namesIn(etc)).containsExactlyInAnyOrder("hosts", "keys");
  }

  @Test
  void keepsUtf8InTheBody() throws IOException {
    Path file = dir.resolve("f");
    ManagedBlockFile managed = new ManagedBlockFile(file);

    managed.write("# Zoë's node\n");

    assertThat(managed.readBlock()).contains("# Zoë's node\n");
    assertThat(Files.readString(file)).contains("# Zoë's node\n");
  }

  @Test
  void refusesABeginWithoutEndAndLeavesTheFileAlone() throws IOException {
    Path file = dir.resolve("hosts");
    Files.writeString(file, "127.0.0.1 localhost\n" + BEGIN + "\n10.0.0.1 a\n");

    assertRefusesBrokenBlock(file, () -> new ManagedBlockFile(file).write("10.0.0.2 b\n"))
        .hasMessageContaining("opened at line 2 has no '" + END + "' line")
        .hasMessageContaining("refusing to write");
    assertRefusesBrokenBlock(file, () -> new ManagedBlockFile(file).readBlock());
  }

  @Test
  void refusesAnEndWithoutBeginAndTwoBlocks() throws IOException {
    Path endOnly = dir.resolve("end-only");
    Files.writeString(endOnly, "a\n" + END + "\n");
    assertRefusesBrokenBlock(endOnly, () -> new ManagedBlockFile(endOnly).write("x\n"))
        .hasMessageContaining("line 2 closes a keel block that was never opened");

    Path twoBlocks = dir.resolve("two-blocks");
    Files.writeString(twoBlocks, block("") + block(""));
    assertRefusesBrokenBlock(twoBlocks, () -> new ManagedBlockFile(twoBlocks).write("x\n"))
        .hasMessageContaining("second keel block at line 3");
  }

  @Test
  void refusesABodyThatContainsAMarker() {
    ManagedBlockFile managed = new ManagedBlockFile(dir.resolve("f"));
    assertThatThrownBy(() -> managed.write("a\n" + END + "\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("marker");
    assertThat(dir.resolve("f")).doesNotExist();
  }

  @Test
  void createsAMissingFileWithTheGivenMode() throws IOException {
    Path file = dir.resolve("authorized_keys");

    assertThat(new ManagedBlockFile(file, PosixFilePermissions.fromString("rw-------")).write("k\n"))
        .isTrue();

    assertThat(Files.readString(file)).isEqualTo(block("k\n"));
    assertThat(mode(file)).isEqualTo("rw-------");
  }

  @Test
  void unwritablePathsAreReportedWithThePathAndWhatToDo() throws IOException {
    Path missingParent = dir.resolve("no-such-dir/hosts");
    assertThatThrownBy(() -> new ManagedBlockFile(missingParent).write("x\n"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot create " + missingParent)
        .hasMessageContaining("does not exist; create the directory");

    Path directory = Files.createDirectory(dir.resolve("a-directory"));
    assertThatThrownBy(() -> new ManagedBlockFile(directory).write("x\n"))
        .isInstanceOf(IOException.class)
        .hasMessage("cannot write " + directory + ": it is a directory; give the path of a file instead");

    Path underAFile = Files.createFile(dir.resolve("plain")).resolve("hosts");
    assertThatThrownBy(() -> new ManagedBlockFile(underAFile).write("x\n"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot write " + underAFile + ": Not a directory")
        .hasMessageContaining("writable regular file");
  }

  @Test
  void writersInOneJvmTakeTurns() throws Exception {
    for (boolean inPlace : List.of(false, true)) {
      Path file = dir.resolve("hosts-" + (inPlace ? "in-place" : "renamed"));
      Files.writeString(file, "outside\n");
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<Void>> done = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
          int writer = w;
          Callable<Void> task =
              () -> {
                // A new instance per write, as separate components would have: the lock is per file.
                for (int i = 0; i < 200; i++) {
                  (inPlace ? inPlaceOnly(file) : new ManagedBlockFile(file))
                      .write(("writer " + writer + " wrote " + i + "\n").repeat(1 + i % 7));
                }
                return null;
              };
          done.add(pool.submit(task));
        }
        for (Future<Void> f : done) {
          f.get(20, TimeUnit.SECONDS); // an OverlappingFileLockException would surface here
        }
      } finally {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      }
      String content = Files.readString(file);
      assertThat(content).startsWith("outside\n" + BEGIN + "\n").endsWith(END + "\n");
      assertThat(new ManagedBlockFile(file).readBlock().orElseThrow()).matches("(writer \\d wrote 199\n)+");
    }
    assertThat(namesIn(dir)).containsExactly("hosts-in-place", "hosts-renamed");
  }

  /** {@code dir/hosts}, holding {@link #DOCKER_LINES}. */
  private Path dockerHosts() throws IOException {
    Path file = dir.resolve("hosts");
    Files.writeString(file, DOCKER_LINES, ISO_8859_1);
    return file;
  }

  /** The bytes of {@code file}, one char per byte (so a changed byte shows in the diff). */
  private static String content(Path file) throws IOException {
    return Files.readString(file, ISO_8859_1);
  }

  private static Object fileKey(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
  }

  /** The block body of {@code content}, which must be the outside lines and one block plus blank lines. */
  private static String bodyOf(String content, String before, String after) {
    String head = before + BEGIN + "\n";
    assertThat(content).startsWith(head);
    int end = content.indexOf("\n" + END + "\n", head.length() - 1);
    assertThat(end).as("end marker in %s", content).isGreaterThanOrEqualTo(0);
    String rest = content.substring(end + END.length() + 2);
    assertThat(rest).startsWith(after);
    assertThat(rest.substring(after.length())).as("what follows the last line").matches("\n*");
    return content.substring(head.length(), end + 1);
  }
}
