package keel.testing.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Wall clocks a test can step, one per member process, with Debian's libfaketime: the member runs
 * under {@code env LD_PRELOAD=libfaketime.so.1 FAKETIME_TIMESTAMP_FILE=<its file> ...} and reads its
 * offset from that file at most a second late. Only the wall clock moves (CLOCK_REALTIME:
 * {@code System.currentTimeMillis}, {@code Instant.now}); the monotonic clock and every timed wait
 * stay true, as when NTP steps a machine's clock or a VM resumes with a corrected one.
 *
 * <p>Example: {@code clocks.commandPrefix("m1")} before m1's command line, then {@code
 * clocks.step("m1", Duration.ofSeconds(-20))} sets m1's clock 20 s back, and {@code
 * clocks.reset("m1")} sets it right again.
 */
public final class FakeClocks {
  /** Where Debian's libfaketime package puts the library, under {@code /usr/lib/<arch>/}. */
  private static final String LIBRARY_GLOB = "faketime/libfaketime.so.1";

  private final Path library;
  private final Path dir;

  private FakeClocks(Path library, Path dir) {
    this.library = library;
    this.dir = dir;
  }

  /** Clocks whose offset files live in {@code dir}; fails when libfaketime is not installed. */
  public static FakeClocks create(Path dir) {
    Path library = findLibrary().orElseThrow(() -> new IllegalStateException(
        "clock faults need Debian's libfaketime (apt-get install libfaketime; .ci/install-test-deps does):"
            + " no /usr/lib/*/" + LIBRARY_GLOB));
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new FakeClocks(library, dir);
  }

  private static Optional<Path> findLibrary() {
    try (DirectoryStream<Path> arches = Files.newDirectoryStream(Path.of("/usr/lib"))) {
      for (Path arch : arches) {
        Path candidate = arch.resolve(LIBRARY_GLOB);
        if (Files.isRegularFile(candidate)) {
          return Optional.of(candidate);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * What goes before {@code member}'s command line ({@code env} execs the command, so the pid
   * stays the member's); its clock starts right.
   */
  public List<String> commandPrefix(String member) {
    reset(member);
    return List.of("env",
        "LD_PRELOAD=" + library,
        "FAKETIME_TIMESTAMP_FILE=" + file(member),
        "FAKETIME_CACHE_DURATION=1", // the file is read again at most once a second
        "FAKETIME_DONT_FAKE_MONOTONIC=1", // CLOCK_MONOTONIC stays true: only the wall clock steps
        // libfaketime would otherwise bend the JVM's condition-variable waits by the offset, and a
        // step back leaves every sleeping thread waiting for as long as the clock went back.
        "FAKETIME_FORCE_MONOTONIC_FIX=0");
  }

  /** From within a second on, {@code member}'s wall clock reads the true time plus {@code offset}. */
  public void step(String member, Duration offset) {
    long seconds = offset.toSeconds();
    write(member, (seconds < 0 ? "-" : "+") + Math.abs(seconds));
  }

  /** Sets {@code member}'s wall clock right again. */
  public void reset(String member) {
    write(member, "+0");
  }

  private void write(String member, String offset) {
    Path file = file(member);
    Path next = file.resolveSibling(file.getFileName() + ".next");
    try {
      // replaced whole, so that libfaketime never reads a half-written offset
      Files.writeString(next, offset + "\n");
      Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("setting the clock of " + member, e);
    }
  }

  private Path file(String member) {
    return dir.resolve(member + ".faketime").toAbsolutePath();
  }
}
