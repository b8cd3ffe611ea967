package keel.server.mvcc;

import io.etcd.jetcd.api.KeyValue;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * etcd 3.4's HashKV, computed from Keel's history so that the number is etcd's own: members of
 * one cluster agree on it, and a Keel cluster agrees with an etcd cluster that ran the same
 * writes.
 *
 * <p>etcd hashes what its backend holds in the {@code key} bucket: CRC-32C (Castagnoli) over the
 * bucket name, then, for each stored revision up to the one asked for, in revision order, its
 * backend key (8-byte big-endian main, {@code '_'}, 8-byte big-endian sub, and {@code 't'} for a
 * tombstone) and the marshalled {@link KeyValue} stored under it (a tombstone's holds only the
 * key). A revision at or below the last compaction counts only if compacting at the asked
 * revision would keep it (each key's newest revision there, when that is a put), unless nothing
 * would be kept at all.
 *
 * <p>Keel keeps a tombstone written at exactly the compaction revision, which etcd 3.4 drops; the
 * hash leaves it out, as etcd's backend does not hold it.
 */
final class BackendHash {
  private static final byte[] KEY_BUCKET = {'k', 'e', 'y'};
  private static final int REVISION_KEY_BYTES = 17;

  private BackendHash() {}

  /** The hash at {@code atRev} (at least the compaction revision, at most the current one). */
  static int hashKv(KeyIndex index, long atRev, long compactRev) {
    List<Stored> stored = new ArrayList<>();
    Set<Revision> keep = new HashSet<>();
    index.forEach((key, history) -> {
      KeyHistory.Entry newest = null;
      for (KeyHistory.Entry entry : history.entries()) {
        if (entry.revision().main() > atRev) {
          break;
        }
        newest = entry;
        if (!(entry.isTombstone() && entry.revision().main() <= compactRev)) {
          stored.add(new Stored(entry.revision(), entry.isTombstone()
              ? KeyValue.newBuilder().setKey(key).build() : entry.kv(), entry.isTombstone()));
        }
      }
      if (newest != null && !newest.isTombstone()) {
        keep.add(newest.revision());
      }
    });
    stored.sort(Comparator.comparing(Stored::revision));

    CRC32C crc = new CRC32C();
    crc.update(KEY_BUCKET);
    ByteBuffer revisionKey = ByteBuffer.allocate(REVISION_KEY_BYTES + 1);
    for (Stored s : stored) {
      if (s.revision().main() <= compactRev && !keep.isEmpty() && !keep.contains(s.revision())) {
        continue;
      }
      revisionKey.clear();
      revisionKey.putLong(s.revision().main()).put((byte) '_').putLong(s.revision().sub());
      if (s.tombstone()) {
        revisionKey.put((byte) 't');
      }
      crc.update(revisionKey.array(), 0, revisionKey.position());
      crc.update(s.kv().toByteArray());
    }
    return (int) crc.getValue();
  }

  private record Stored(Revision revision, KeyValue kv, boolean tombstone) {}
}
