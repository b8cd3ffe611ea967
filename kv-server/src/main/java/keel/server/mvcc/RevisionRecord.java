package keel.server.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.etcd.jetcd.api.KeyValue;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One retained revision of a key, as the store keeps it: a single byte array, so that a revision
 * costs its value and 53 bytes instead of the six objects of a {@link KeyValue} with its value
 * and revision (about 350 bytes per key above its data; measured in perf/ANALYSIS.md, section 5).
 * The key is not in it: the key's {@link KeyHistory} holds it once for all its revisions.
 *
 * <pre>
 *   offset  0  long  main revision (the KeyValue's mod_revision)
 *   offset  8  int   sub revision
 *   offset 12  byte  1 for a tombstone (a delete), 0 for a put
 *   a put only:
 *   offset 13  long  create_revision
 *   offset 21  long  version
 *   offset 29  long  lease
 *   offset 37        the value's bytes, to the end
 * </pre>
 *
 * <p>Records never change once made, so a {@link KeyValue} read from one shares its value bytes
 * ({@link #toKeyValue}) and a snapshot keeps references to them while the store moves on.
 */
final class RevisionRecord {
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final int MAIN = 0;
  private static final int SUB = 8;
  private static final int FLAGS = 12;
  private static final int CREATE = 13;
  private static final int VERSION = 21;
  private static final int LEASE = 29;
  private static final int VALUE = 37;
  private static final byte TOMBSTONE = 1;

  private RevisionRecord() {}

  /** The record of a put of {@code kv} at {@code main.sub}; its mod_revision must be {@code main}. */
  static byte[] put(long main, int sub, KeyValue kv) {
    if (kv.getModRevision() != main) {
      throw new IllegalArgumentException("a kv with mod_revision " + kv.getModRevision()
          + " stored at revision " + main);
    }
    ByteString value = kv.getValue();
    byte[] record = new byte[VALUE + value.size()];
    header(record, main, sub, (byte) 0);
    LONG.set(record, CREATE, kv.getCreateRevision());
    LONG.set(record, VERSION, kv.getVersion());
    LONG.set(record, LEASE, kv.getLease());
    value.copyTo(record, VALUE);
    return record;
  }

  /** The record of a delete at {@code main.sub}. */
  static byte[] tombstone(long main, int sub) {
    byte[] record = new byte[CREATE];
    header(record, main, sub, TOMBSTONE);
    return record;
  }

  private static void header(byte[] record, long main, int sub, byte flags) {
    LONG.set(record, MAIN, main);
    INT.set(record, SUB, sub);
    record[FLAGS] = flags;
  }

  static long main(byte[] record) {
    return (long) LONG.get(record, MAIN);
  }

  static int sub(byte[] record) {
    return (int) INT.get(record, SUB);
  }

  static boolean isTombstone(byte[] record) {
    return record[FLAGS] == TOMBSTONE;
  }

  /** The value's length; 0 for a tombstone. */
  static int valueSize(byte[] record) {
    return isTombstone(record) ? 0 : record.length - VALUE;
  }

  /** Orders the record against the revision {@code main.sub}, as {@link Revision#compareTo}. */
  static int compareTo(byte[] record, long main, int sub) {
    int byMain = Long.compare(main(record), main);
    return byMain != 0 ? byMain : Integer.compare(sub(record), sub);
  }

  static Revision revision(byte[] record) {
    return new Revision(main(record), sub(record));
  }

  /** The put's kv under {@code key}, sharing the record's value bytes; null for a tombstone. */
  static KeyValue toKeyValue(byte[] record, ByteString key) {
    if (isTombstone(record)) {
      return null;
    }
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(UnsafeByteOperations.unsafeWrap(record, VALUE, record.length - VALUE))
        .setCreateRevision((long) LONG.get(record, CREATE))
        .setModRevision(main(record))
        .setVersion((long) LONG.get(record, VERSION))
        .setLease((long) LONG.get(record, LEASE))
        .build();
  }
}
