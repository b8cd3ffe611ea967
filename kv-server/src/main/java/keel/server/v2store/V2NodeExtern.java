package keel.server.v2store;

import java.util.List;

/**
 * A node as a client sees it (etcd's {@code NodeExtern}): an immutable copy, safe to hand to
 * other threads. TTL is already computed, from the "now" of the operation that produced it.
 *
 * @param key the key; empty for the root (etcd prints no key for {@code GET /v2/keys/})
 * @param value the value of a file, null for a directory
 * @param expiration absolute expiry in Unix epoch nanoseconds, 0 for a permanent node
 * @param ttl seconds left, rounded up (etcd's ceiling), 0 for a permanent node
 * @param nodes children, or null when etcd prints none (files, non-recursive listings, empty dirs)
 */
public record V2NodeExtern(
    String key,
    String value,
    boolean dir,
    long expiration,
    long ttl,
    List<V2NodeExtern> nodes,
    long modifiedIndex,
    long createdIndex) {

  public V2NodeExtern {
    nodes = nodes == null || nodes.isEmpty() ? null : List.copyOf(nodes);
  }

  /** The node of a write event: key, indexes, and nothing else yet. */
  static V2NodeExtern bare(String key, long modifiedIndex, long createdIndex, boolean dir) {
    return new V2NodeExtern(key, null, dir, 0, 0, null, modifiedIndex, createdIndex);
  }
}
