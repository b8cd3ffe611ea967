package keel.server.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.etcd.jetcd.api.KeyValue;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The snapshot format of {@link MvccStore}, version 1 (the caller adds a checksum around it):
 *
 * <pre>
 *   int    MAGIC ("KMVC")      int  FORMAT_VERSION
 *   long   currentRevision     long compactRevision
 *   int    keyCount
 *   keyCount times, in key order:
 *     int  keyLength, bytes key
 *     int  entryCount
 *     entryCount times, oldest first:
 *       long main, long sub, boolean tombstone
 *       if not a tombstone: the KeyValue, length-delimited (writeDelimitedTo)
 *   int    MAGIC               (end marker: a truncated stream fails to read)
 * </pre>
 */
public final class MvccSnapshot {
  static final int MAGIC = 0x4B4D5643;
  static final int FORMAT_VERSION = 1;

  private MvccSnapshot() {}

  /**
   * The store as of one revision, copied out of it: each key with the entries it held then. Taking
   * one copies references (keys and values are immutable), not bytes, so the apply thread pays
   * little for it; {@link #writeTo} encodes it later, on any thread, while the store moves on.
   */
  public static final class Image {
    private final long currentRev;
    private final long compactRev;
    private final ByteString[] keys;
    private final byte[][][] histories;

    private Image(long currentRev, long compactRev, ByteString[] keys, byte[][][] histories) {
      this.currentRev = currentRev;
      this.compactRev = compactRev;
      this.keys = keys;
      this.histories = histories;
    }

    /** Writes the image in the format above. */
    public void writeTo(OutputStream os) throws IOException {
      DataOutputStream out = new DataOutputStream(os);
      out.writeInt(MAGIC);
      out.writeInt(FORMAT_VERSION);
      out.writeLong(currentRev);
      out.writeLong(compactRev);
      out.writeInt(keys.length);
      // one encoder for every value: writeDelimitedTo would make one (and a buffer) per value
      CodedOutputStream values = CodedOutputStream.newInstance(out, 1 << 13);
      for (int i = 0; i < keys.length; i++) {
        values.flush();
        out.writeInt(keys[i].size());
        keys[i].writeTo(out);
        out.writeInt(histories[i].length);
        for (byte[] record : histories[i]) {
          values.flush();
          out.writeLong(RevisionRecord.main(record));
          out.writeLong(RevisionRecord.sub(record));
          out.writeBoolean(RevisionRecord.isTombstone(record));
          if (!RevisionRecord.isTombstone(record)) {
            KeyValue kv = RevisionRecord.toKeyValue(record, keys[i]);
            values.writeUInt32NoTag(kv.getSerializedSize());
            kv.writeTo(values);
          }
        }
      }
      values.flush();
      out.writeInt(MAGIC);
      out.flush();
    }
  }

  /** The image of {@code index} now; the caller holds the store's lock. */
  static Image capture(KeyIndex index, long currentRev, long compactRev) {
    ByteString[] keys = new ByteString[index.keyCount()];
    byte[][][] histories = new byte[keys.length][][];
    int[] next = {0};
    index.forEach((key, history) -> {
      keys[next[0]] = key;
      histories[next[0]] = history.records();
      next[0]++;
    });
    return new Image(currentRev, compactRev, keys, histories);
  }

  static MvccStore read(InputStream is, MvccCounters counters) throws IOException {
    DataInputStream in = new DataInputStream(is);
    if (in.readInt() != MAGIC) {
      throw new IOException("not an MVCC snapshot");
    }
    int version = in.readInt();
    if (version != FORMAT_VERSION) {
      throw new IOException("unsupported MVCC snapshot version " + version);
    }
    long currentRev = in.readLong();
    long compactRev = in.readLong();
    KeyIndex index = new KeyIndex();
    int keyCount = in.readInt();
    for (int k = 0; k < keyCount; k++) {
      byte[] keyBytes = new byte[in.readInt()];
      in.readFully(keyBytes);
      ByteString key = ByteString.copyFrom(keyBytes);
      int entryCount = in.readInt();
      for (int i = 0; i < entryCount; i++) {
        long main = in.readLong();
        long sub = in.readLong();
        if (sub < 0 || sub > Integer.MAX_VALUE) {
          throw new IOException("corrupt MVCC snapshot at key #" + k + ": sub revision " + sub);
        }
        if (in.readBoolean()) {
          index.restore(main, (int) sub, key, null);
        } else {
          KeyValue kv = KeyValue.parseDelimitedFrom(in);
          if (kv == null || !kv.getKey().equals(key) || kv.getModRevision() != main) {
            throw new IOException("corrupt MVCC snapshot at key #" + k);
          }
          index.restore(main, (int) sub, key, kv);
        }
      }
    }
    if (in.readInt() != MAGIC) {
      throw new IOException("MVCC snapshot has no end marker");
    }
    index.restored();
    return new MvccStore(index, currentRev, compactRev, counters);
  }
}
