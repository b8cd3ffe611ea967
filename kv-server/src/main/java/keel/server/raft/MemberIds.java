package keel.server.raft;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import keel.server.cli.EtcdUrls;

/**
 * Member and cluster ids, derived as etcd derives them (etcd 3.4 {@code membership.NewMember} and
 * {@code RaftCluster.genID}), so a client that compares ids across a restart sees what etcd shows.
 *
 * <p>Member id: the first 8 bytes, big-endian, of SHA-1 over the sorted peer URLs joined with
 * nothing, followed by the cluster token. Cluster id: the first 8 bytes of SHA-1 over the sorted
 * member ids, each as 8 big-endian bytes.
 */
public final class MemberIds {
  private MemberIds() {}

  /** The founding members' ids by name, in {@code initialCluster}'s order. */
  public static Map<String, Long> founders(Map<String, List<URI>> initialCluster, String clusterToken) {
    Map<String, Long> ids = new LinkedHashMap<>();
    initialCluster.forEach((name, urls) -> ids.put(name, memberId(urls, clusterToken)));
    return ids;
  }

  /** A founding member's id: from its peer URLs and the cluster token. */
  public static long memberId(List<URI> peerUrls, String clusterToken) {
    return hashed(peerUrls.stream().map(URI::toString).toList(), clusterToken);
  }

  /**
   * An added member's id, as etcd's MemberAdd makes it: from its peer URLs and the time of the
   * request in seconds (no cluster token), so a member added again gets a new id.
   */
  public static long addedMemberId(List<String> peerUrls, long unixSeconds) {
    return hashed(peerUrls, Long.toString(unixSeconds));
  }

  private static long hashed(List<String> peerUrls, String suffix) {
    StringBuilder joined = new StringBuilder();
    peerUrls.stream().sorted().forEach(joined::append);
    joined.append(suffix);
    return first8(sha1(joined.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * A founding member's Ratis peer id: the host and port of its first peer URL (the peer URLs are
   * all the founders know of each other before the cluster exists), as
   * {@code host_port} with any character other than letters, digits, dots and dashes made an
   * underscore (Ratis names its JMX beans after it). It stays when a member update changes the URLs.
   */
  public static String raftPeer(URI peerUrl) {
    return EtcdUrls.host(peerUrl).replaceAll("[^A-Za-z0-9.-]", "_") + "_" + EtcdUrls.port(peerUrl);
  }

  /**
   * An added member's Ratis peer id: {@link #raftPeer} followed by its member id, so that a member
   * removed and added back at the same address (a node that lost its data) is a new peer to Raft
   * too. Raft must never take the new one, with an empty log, for the old one, whose entries and
   * votes went with its disk.
   */
  public static String addedRaftPeer(URI peerUrl, long memberId) {
    return raftPeer(peerUrl) + "_" + hex(memberId);
  }

  public static long clusterId(Collection<Long> memberIds) {
    long[] sorted = memberIds.stream().mapToLong(Long::longValue).sorted().toArray();
    // etcd sorts ids as uint64.
    sorted = java.util.Arrays.stream(sorted).boxed()
        .sorted(Long::compareUnsigned).mapToLong(Long::longValue).toArray();
    ByteBuffer buffer = ByteBuffer.allocate(8 * sorted.length);
    for (long id : sorted) {
      buffer.putLong(id);
    }
    return first8(sha1(buffer.array()));
  }

  /** etcd prints ids as lowercase hex without leading zeros ({@code types.ID.String()}). */
  public static String hex(long id) {
    return Long.toHexString(id);
  }

  private static byte[] sha1(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every JVM", e);
    }
  }

  private static long first8(byte[] hash) {
    return ByteBuffer.wrap(hash, 0, 8).getLong();
  }
}
