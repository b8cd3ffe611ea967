package keel.agent.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/** What tests look at in files and directories. */
public final class TestFiles {
  private TestFiles() {}

  /** The permissions of {@code path} as {@code ls} shows them, e.g. {@code rw-------}. */
  public static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  /** The names of the entries of {@code directory}, sorted. */
  public static List<String> namesIn(Path directory) throws IOException {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
