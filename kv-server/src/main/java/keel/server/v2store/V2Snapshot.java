package keel.server.v2store;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The v2 store's snapshot format: deterministic bytes for one state (children in key order).
 *
 * <pre>
 *   int magic 'K2V1', long index,
 *   node: utf8 path, long createdIndex, long modifiedIndex, long expireAt, byte dir,
 *         file: utf8 value | dir: int n, n nodes
 *   int historyCapacity, int n, n events (oldest first):
 *         utf8 action, extern node, byte hasPrev [extern prevNode], long etcdIndex, byte refresh
 *   extern: utf8 key, byte hasValue [utf8 value], byte dir, long expiration, long ttl,
 *         int n (-1: none), n externs, long modifiedIndex, long createdIndex
 *   int CRC32 of everything before it
 * </pre>
 * Strings are an int byte length and UTF-8 bytes (no 64 KiB limit). Reading does not buffer:
 * pass a buffered stream; nothing past the checksum is consumed.
 */
final class V2Snapshot {
  private static final int MAGIC = 0x4b325631; // "K2V1"

  record Contents(long index, V2Node root, List<V2Event> history, int historyCapacity) {}

  private V2Snapshot() {}

  static void write(OutputStream os, long index, V2Node root, EventHistory history)
      throws IOException {
    CRC32 crc = new CRC32();
    BufferedOutputStream buffered = new BufferedOutputStream(os);
    DataOutputStream out = new DataOutputStream(new CheckedOutputStream(buffered, crc));
    out.writeInt(MAGIC);
    out.writeLong(index);
    writeNode(out, root);
    out.writeInt(history.capacity());
    out.writeInt(history.size());
    for (int i = 0; i < history.size(); i++) {
      V2Event e = history.get(i);
      writeString(out, e.action());
      writeExtern(out, e.node());
      out.writeBoolean(e.prevNode() != null);
      if (e.prevNode() != null) {
        writeExtern(out, e.prevNode());
      }
      out.writeLong(e.etcdIndex());
      out.writeBoolean(e.refresh());
    }
    out.flush();
    new DataOutputStream(buffered).writeInt((int) crc.getValue());
    buffered.flush();
  }

  static Contents read(InputStream is) throws IOException {
    CRC32 crc = new CRC32();
    // no read-ahead of our own: the caller's stream may hold more after this snapshot
    DataInputStream in = new DataInputStream(new CheckedInputStream(is, crc));
    if (in.readInt() != MAGIC) {
      throw new IOException("not a v2 store snapshot (bad magic)");
    }
    long index = in.readLong();
    V2Node root = readNode(in, null);
    int capacity = in.readInt();
    int n = in.readInt();
    List<V2Event> history = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String action = readString(in);
      V2NodeExtern node = readExtern(in);
      V2NodeExtern prev = in.readBoolean() ? readExtern(in) : null;
      history.add(new V2Event(action, node, prev, in.readLong(), in.readBoolean()));
    }
    int expected = (int) crc.getValue();
    int actual;
    try {
      actual = new DataInputStream(is).readInt();
    } catch (EOFException e) {
      throw new IOException("v2 store snapshot truncated", e);
    }
    if (actual != expected) {
      throw new IOException("v2 store snapshot checksum mismatch");
    }
    return new Contents(index, root, history, capacity);
  }

  private static void writeNode(DataOutputStream out, V2Node n) throws IOException {
    writeString(out, n.path);
    out.writeLong(n.createdIndex);
    out.writeLong(n.modifiedIndex);
    out.writeLong(n.expireAt);
    out.writeBoolean(n.isDir());
    if (n.isDir()) {
      out.writeInt(n.children.size());
      for (V2Node child : n.children.values()) {
        writeNode(out, child);
      }
    } else {
      writeString(out, n.value);
    }
  }

  private static V2Node readNode(DataInputStream in, V2Node parent) throws IOException {
    String path = readString(in);
    long created = in.readLong();
    long modified = in.readLong();
    long expireAt = in.readLong();
    V2Node n;
    if (in.readBoolean()) {
      n = V2Node.dir(path, created, parent, expireAt);
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        V2Node child = readNode(in, n);
        n.children.put(child.name(), child);
      }
    } else {
      n = V2Node.file(path, null, created, parent, expireAt);
      n.value = readString(in);
    }
    n.modifiedIndex = modified;
    return n;
  }

  private static void writeExtern(DataOutputStream out, V2NodeExtern x) throws IOException {
    writeString(out, x.key());
    out.writeBoolean(x.value() != null);
    if (x.value() != null) {
      writeString(out, x.value());
    }
    out.writeBoolean(x.dir());
    out.writeLong(x.expiration());
    out.writeLong(x.ttl());
    out.writeInt(x.nodes() == null ? -1 : x.nodes().size());
    if (x.nodes() != null) {
      for (V2NodeExtern child : x.nodes()) {
        writeExtern(out, child);
      }
    }
    out.writeLong(x.modifiedIndex());
    out.writeLong(x.createdIndex());
  }

  private static V2NodeExtern readExtern(DataInputStream in) throws IOException {
    String key = readString(in);
    String value = in.readBoolean() ? readString(in) : null;
    boolean dir = in.readBoolean();
    long expiration = in.readLong();
    long ttl = in.readLong();
    int n = in.readInt();
    List<V2NodeExtern> nodes = null;
    if (n >= 0) {
      nodes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        nodes.add(readExtern(in));
      }
    }
    return new V2NodeExtern(key, value, dir, expiration, ttl, nodes, in.readLong(), in.readLong());
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int len = in.readInt();
    if (len < 0 || len > 64 << 20) {
      throw new IOException("v2 store snapshot: bad string length " + len);
    }
    return new String(in.readNBytes(len), StandardCharsets.UTF_8);
  }
}
