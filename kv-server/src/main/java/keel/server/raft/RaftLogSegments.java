package keel.server.raft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.RaftServerConfigKeys.Log.CorruptionPolicy;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.util.SizeInBytes;

/**
 * A member's Ratis log read from its files while Raft is not running, as Ratis reads it at a start
 * (every entry's checksum checked, the first bad one refused): for naming a damaged segment, and
 * for {@code --force-new-cluster}.
 */
public final class RaftLogSegments {
  private static final SizeInBytes MAX_ENTRY = SizeInBytes.valueOf("64MB");

  private RaftLogSegments() {}

  /** The segment files under {@code dir} (searched to any depth), in log order within a group. */
  public static List<Path> under(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile)
          .map(LogSegmentPath::matchLogSegment).filter(Objects::nonNull)
          .sorted(Comparator.comparing((LogSegmentPath s) -> s.getPath().getParent())
              .thenComparing(LogSegmentPath::getStartEnd))
          .map(LogSegmentPath::getPath).toList();
    }
  }

  /** Hands every entry of {@code segment} to {@code entries}; fails at the first unreadable one. */
  public static void read(Path segment, Consumer<LogEntryProto> entries) throws IOException {
    LogSegmentPath parsed = LogSegmentPath.matchLogSegment(segment);
    if (parsed == null) {
      throw new IOException(segment + " is not a Raft log segment file");
    }
    LogSegment.readSegmentFile(segment.toFile(), parsed.getStartEnd(), MAX_ENTRY, CorruptionPolicy.EXCEPTION,
        null, entries);
  }
}
