package keel.server.v2store;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One node of the tree (etcd's {@code node}): a file holds a value, a directory holds children.
 * Children are kept in a {@link TreeMap} in Go's byte order, so every listing, removal and
 * snapshot visits them in the same order on every member (etcd walks a Go map: random order).
 * Mutated only by {@link V2Store} under its write lock.
 */
final class V2Node {
  final String path;
  final long createdIndex;
  long modifiedIndex;
  V2Node parent;
  /** Absolute expiry in Unix epoch nanoseconds; 0 = permanent. */
  long expireAt;
  String value;
  /** Null for a file. */
  final TreeMap<String, V2Node> children;

  private V2Node(String path, long createdIndex, V2Node parent, long expireAt, String value,
      boolean dir) {
    this.path = path;
    this.createdIndex = createdIndex;
    this.modifiedIndex = createdIndex;
    this.parent = parent;
    this.expireAt = expireAt;
    this.value = value;
    this.children = dir ? new TreeMap<>(V2Paths.CODE_POINT_ORDER) : null;
  }

  static V2Node file(String path, String value, long createdIndex, V2Node parent, long expireAt) {
    return new V2Node(path, createdIndex, parent, expireAt, value, false);
  }

  static V2Node dir(String path, long createdIndex, V2Node parent, long expireAt) {
    return new V2Node(path, createdIndex, parent, expireAt, null, true);
  }

  boolean isDir() {
    return children != null;
  }

  boolean isPermanent() {
    return expireAt == 0;
  }

  boolean isHidden() {
    return V2Paths.nameOf(path).startsWith("_");
  }

  String name() {
    return V2Paths.nameOf(path);
  }

  /** The key clients see: the root prints as no key at all, as etcd's trimmed "/1" does. */
  String externKey() {
    return path.equals("/") ? "" : path;
  }

  /** etcd's ceiling((expireAt - now) / 1s); Go's truncating division for negative values. */
  long ttl(long now) {
    if (isPermanent()) {
      return 0;
    }
    long left = expireAt - now;
    long ttl = left / 1_000_000_000L;
    if (left % 1_000_000_000L > 0) {
      ttl++;
    }
    return ttl;
  }

  /** etcd's {@code Repr}: this node, with its visible subtree when recursive. */
  V2NodeExtern repr(boolean recursive, long now) {
    if (!isDir()) {
      return new V2NodeExtern(externKey(), value, false, expireAt, ttl(now), null,
          modifiedIndex, createdIndex);
    }
    List<V2NodeExtern> nodes = recursive ? listVisible(true, now) : null;
    return new V2NodeExtern(externKey(), null, true, expireAt, ttl(now), nodes, modifiedIndex,
        createdIndex);
  }

  /**
   * etcd's {@code loadInternalNode} for Get: a directory always lists its visible children,
   * which carry their own subtrees only when recursive.
   */
  V2NodeExtern load(boolean recursive, long now) {
    if (!isDir()) {
      return repr(false, now);
    }
    return new V2NodeExtern(externKey(), null, true, expireAt, ttl(now),
        listVisible(recursive, now), modifiedIndex, createdIndex);
  }

  private List<V2NodeExtern> listVisible(boolean recursive, long now) {
    List<V2NodeExtern> out = new ArrayList<>(children.size());
    for (V2Node child : children.values()) {
      if (!child.isHidden()) {
        out.add(child.repr(recursive, now));
      }
    }
    return out;
  }
}
