package keel.server.raft;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.List;

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

  public static long memberId(List<URI> peerUrls, String clusterToken) {
    StringBuilder joined = new StringBuilder();
    peerUrls.stream().map(URI::toString).sorted().forEach(joined::append);
    joined.append(clusterToken);
    return first8(sha1(joined.toString().getBytes(StandardCharsets.UTF_8)));
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
