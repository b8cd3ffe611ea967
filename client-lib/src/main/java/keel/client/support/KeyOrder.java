package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/** etcd's key order (bytes compared as unsigned, a prefix first) and KeyValue equality. */
public final class KeyOrder {
  /** Unsigned lexicographic order of the bytes, as etcd sorts keys: {@code "a" < "a\0" < "b" < "\u00ff"}. */
  public static final Comparator<ByteSequence> UNSIGNED = KeyOrder::compare;

  private KeyOrder() {}

  public static int compare(ByteSequence a, ByteSequence b) {
    return Arrays.compareUnsigned(a.getBytes(), b.getBytes());
  }

  /**
   * Whether two KeyValues are the same version of the same key: key, value, revisions, version and
   * lease all equal (jetcd's KeyValue has no {@code equals}).
   */
  public static boolean sameVersion(KeyValue a, KeyValue b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null) {
      return false;
    }
    return a.getModRevision() == b.getModRevision()
        && a.getCreateRevision() == b.getCreateRevision()
        && a.getVersion() == b.getVersion()
        && a.getLease() == b.getLease()
        && Objects.equals(a.getKey(), b.getKey())
        && Objects.equals(a.getValue(), b.getValue());
  }
}
