package keel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Recursive deletion of the temporary directories tests make (data dirs, scratch files). */
public final class TempDirs {
  private TempDirs() {}

  /** Deletes {@code dir} and everything under it; a missing or null dir is fine. */
  public static void delete(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("deleting " + dir, e);
    }
  }

  /** {@link #delete} that swallows failures, for finally blocks that must not mask the real error. */
  public static void deleteQuietly(Path dir) {
    try {
      delete(dir);
    } catch (RuntimeException e) {
      // best effort: the original failure matters more than a leftover temp dir
    }
  }
}
