package keel.server.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import keel.server.ServerConfig;
import keel.server.command.MemberRecord;
import keel.server.raft.MemberIds;

/**
 * Who this member is in its cluster: the cluster's id, its own member id and its Ratis peer id.
 * A founding member derives all three from its flags; a member that joined an existing cluster
 * learns them from the cluster ({@link ClusterJoin}). Either way they are written into the data
 * dir at the first start and read from there at every later one, as etcd keeps its ids in its
 * data dir: a member update changes a member's URLs, never who it is.
 */
public record MemberIdentity(long clusterId, long memberId, String raftPeer) {
  private static final String FILE = "member/identity";

  /** A founding member's identity, from {@code --initial-cluster} and {@code --initial-cluster-token}. */
  public static MemberIdentity founder(ServerConfig config) {
    List<MemberRecord> founders = MemberRecords.founders(config);
    MemberRecord self = founders.stream().filter(m -> m.getName().equals(config.name())).findFirst().orElseThrow();
    return new MemberIdentity(MemberIds.clusterId(founders.stream().map(MemberRecord::getId).toList()), self.getId(),
        self.getRaftPeer());
  }

  /** The identity written into {@code dataDir} at an earlier start, if any. */
  public static Optional<MemberIdentity> load(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    try {
      return Optional.of(new MemberIdentity(Long.parseUnsignedLong(value(lines, "cluster-id"), 16),
          Long.parseUnsignedLong(value(lines, "member-id"), 16), value(lines, "raft-peer")));
    } catch (IllegalArgumentException e) {
      throw new IOException("member identity file " + file.toAbsolutePath() + " is damaged (" + e.getMessage()
          + "); restore the data dir from a backup, or remove it and add this member to its cluster again", e);
    }
  }

  /** Writes this identity into {@code dataDir}, atomically (at a member's first start). */
  public void save(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE);
    Files.createDirectories(file.getParent());
    Path partial = file.resolveSibling("identity.partial");
    Files.writeString(partial, "cluster-id=" + MemberIds.hex(clusterId) + "\nmember-id=" + MemberIds.hex(memberId)
        + "\nraft-peer=" + raftPeer + "\n", StandardCharsets.UTF_8);
    Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static String value(List<String> lines, String key) {
    return lines.stream()
        .filter(line -> line.startsWith(key + "="))
        .map(line -> line.substring(key.length() + 1))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no " + key));
  }
}
