package keel.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A class-data archive (AppCDS) of the classes a Keel member loads as it starts, for the member
 * processes tests start by the hundred: each maps the classes parsed and verified once instead of
 * loading them again (as the {@code ./keel} launcher does for real members). Made once per class
 * path (its jars' names, sizes and times) by a training run, a one-member cluster on port 0 that
 * starts, becomes ready and stops; the JVM writes the archive as it exits. Kept in {@code target/}
 * under a name derived from the class path, so a rebuilt jar gets a new one. No archive, no harm:
 * a member starts without it.
 */
final class MemberClassData {
  private static final Duration TRAINING = Duration.ofSeconds(60);
  private static List<String> options;

  private MemberClassData() {}

  /**
   * The JVM options that map the archive for {@code classPath} (its jars only: CDS archives no
   * classes from directories), made now if it is not there yet; none when it cannot be made.
   */
  static synchronized List<String> options(String classPath, List<String> jvmBase) {
    if (options == null) {
      options = make(classPath, jvmBase);
    }
    return options;
  }

  private static List<String> make(String classPath, List<String> jvmBase) {
    Path archive = Path.of("target", "keel-members-" + fingerprint(classPath) + ".jsa").toAbsolutePath();
    List<String> mapping = List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    if (Files.isRegularFile(archive)) {
      return mapping;
    }
    Path dir = null;
    Path made = archive.resolveSibling(archive.getFileName() + ".training");
    Process training = null;
    try {
      Files.createDirectories(archive.getParent());
      removeOlderArchives(archive);
      dir = Files.createTempDirectory("keel-members-cds-");
      Path log = dir.resolve("training.log");
      List<String> command = new ArrayList<>(jvmBase);
      command.addAll(List.of("-XX:ArchiveClassesAtExit=" + made, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
          "-cp", classPath, "keel.server.cli.KeelMain", "server", "--name", "cds",
          "--data-dir", dir.resolve("data").toString(),
          "--listen-client-urls", "http://127.0.0.1:0", "--advertise-client-urls", "http://127.0.0.1:0",
          "--listen-peer-urls", "http://127.0.0.1:0", "--initial-advertise-peer-urls", "http://127.0.0.1:0",
          "--initial-cluster", "cds=http://127.0.0.1:0"));
      training = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      ProcessTrees.register(training);
      Process running = training;
      Deadlines.await("the class-data training member ready", TRAINING).until(() ->
          !running.isAlive() || Files.readString(log, StandardCharsets.UTF_8).contains("ready to serve client requests"));
      ProcessTrees.stop(training.toHandle(), TRAINING); // SIGTERM: the JVM writes the archive as it exits
      if (!Files.isRegularFile(made) || Files.size(made) == 0) {
        return List.of();
      }
      // beside the archive, so the move is atomic: a JVM never maps half a file
      Files.move(made, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return mapping;
    } catch (IOException | RuntimeException e) {
      System.err.println("keel tests: no class-data archive for member processes (they start slower): " + e);
      return List.of();
    } finally {
      if (training != null && training.isAlive()) {
        ProcessTrees.kill9(training.toHandle());
      }
      TempDirs.deleteQuietly(dir);
      try {
        Files.deleteIfExists(made);
      } catch (IOException e) {
        // best effort: a leftover is replaced by the next training run
      }
    }
  }

  /** The archives of earlier class paths (jars rebuilt since): 60 MB each, of no more use. */
  private static void removeOlderArchives(Path archive) throws IOException {
    try (var older = Files.newDirectoryStream(archive.getParent(), "keel-members-*.jsa")) {
      for (Path file : older) {
        if (!file.equals(archive)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** The class path's jars only: directories hold no archivable classes and would stop the dump. */
  static String jarsOnly(String classPath) {
    List<String> jars = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (!entry.isEmpty() && !Files.isDirectory(Path.of(entry))) {
        jars.add(entry);
      }
    }
    return String.join(File.pathSeparator, jars);
  }

  private static String fingerprint(String classPath) {
    CRC32 crc = new CRC32();
    for (String entry : classPath.split(File.pathSeparator)) {
      Path jar = Path.of(entry);
      crc.update(entry.getBytes(StandardCharsets.UTF_8));
      try {
        crc.update(Long.toString(Files.size(jar)).getBytes(StandardCharsets.UTF_8));
        crc.update(Long.toString(Files.getLastModifiedTime(jar).toMillis()).getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        crc.update(0);
      }
    }
    return Long.toHexString(crc.getValue());
  }
}
