package keel.server.raft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.ratis.server.RaftServerConfigKeys.Log.CorruptionPolicy;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.util.SizeInBytes;

/**
 * Names the damaged file when Ratis refuses its log. Ratis checks every entry's checksum as it
 * loads the log and stops at the first bad one, but its error does not say which segment file
 * holds it; this reads each segment the same way and reports the first that fails.
 */
public final class RaftLogVerifier {
  private static final SizeInBytes MAX_ENTRY = SizeInBytes.valueOf("64MB");

  private RaftLogVerifier() {}

  /** A segment file that fails to read, and why. */
  public record CorruptSegment(Path file, String problem) {}

  public static Optional<CorruptSegment> findCorruptSegment(Path dataDir) throws IOException {
    Path raftDir = dataDir.resolve("raft");
    if (!Files.isDirectory(raftDir)) {
      return Optional.empty();
    }
    List<Path> segments;
    try (Stream<Path> files = Files.walk(raftDir)) {
      segments = files.filter(Files::isRegularFile)
          .filter(path -> LogSegmentPath.matchLogSegment(path) != null)
          .sorted()
          .toList();
    }
    for (Path segment : segments) {
      LogSegmentPath parsed = LogSegmentPath.matchLogSegment(segment);
      try {
        LogSegment.readSegmentFile(segment.toFile(), parsed.getStartEnd(), MAX_ENTRY,
            CorruptionPolicy.EXCEPTION, null, entry -> { });
      } catch (IOException | RuntimeException e) {
        return Optional.of(new CorruptSegment(segment, e.getMessage()));
      }
    }
    return Optional.empty();
  }
}
