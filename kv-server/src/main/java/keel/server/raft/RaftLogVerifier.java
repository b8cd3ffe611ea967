package keel.server.raft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Names the damaged file when Ratis refuses its log. Ratis checks every entry's checksum as it
 * loads the log and stops at the first bad one, but its error does not say which segment file
 * holds it; this reads each segment the same way and reports the first that fails.
 */
public final class RaftLogVerifier {
  private RaftLogVerifier() {}

  /** A segment file that fails to read, and why. */
  public record CorruptSegment(Path file, String problem) {}

  public static Optional<CorruptSegment> findCorruptSegment(Path dataDir) throws IOException {
    for (Path segment : RaftLogSegments.under(dataDir.resolve("raft"))) {
      try {
        RaftLogSegments.read(segment, entry -> { });
      } catch (IOException | RuntimeException e) {
        return Optional.of(new CorruptSegment(segment, e.getMessage()));
      }
    }
    return Optional.empty();
  }
}
