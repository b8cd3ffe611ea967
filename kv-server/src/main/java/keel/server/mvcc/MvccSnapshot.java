package keel.server.mvcc;

import com.google.protobuf.ByteString;
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
final class MvccSnapshot {
  static final int MAGIC = 0x4B4D5643;
  static final int FORMAT_VERSION = 1;

  private MvccSnapshot() {}

  static void write(OutputStream os, KeyIndex index, long currentRev, long compactRev)
      throws IOException {
    DataOutputStream out = new DataOutputStream(os);
    out.writeInt(MAGIC);
    out.writeInt(FORMAT_VERSION);
    out.writeLong(currentRev);
    out.writeLong(compactRev);
    out.writeInt(index.keyCount());
    IOException[] failure = new IOException[1];
    index.forEach((key, history) -> {
      if (failure[0] != null) {
        return;
      }
      try {
        out.writeInt(key.size());
        key.writeTo(out);
        out.writeInt(history.entries().size());
        for (KeyHistory.Entry e : history.entries()) {
          out.writeLong(e.revision().main());
          out.writeLong(e.revision().sub());
          out.writeBoolean(e.isTombstone());
          if (!e.isTombstone()) {
            e.kv().writeDelimitedTo(out);
          }
        }
      } catch (IOException e) {
        failure[0] = e;
      }
    });
    if (failure[0] != null) {
      throw failure[0];
    }
    out.writeInt(MAGIC);
    out.flush();
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
        Revision rev = new Revision(in.readLong(), in.readLong());
        if (in.readBoolean()) {
          index.restore(rev, key, null);
        } else {
          KeyValue kv = KeyValue.parseDelimitedFrom(in);
          if (kv == null || !kv.getKey().equals(key)) {
            throw new IOException("corrupt MVCC snapshot at key #" + k);
          }
          index.restore(rev, key, kv);
        }
      }
    }
    if (in.readInt() != MAGIC) {
      throw new IOException("MVCC snapshot has no end marker");
    }
    return new MvccStore(index, currentRev, compactRev, counters);
  }
}
