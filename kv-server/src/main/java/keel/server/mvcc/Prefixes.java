package keel.server.mvcc;

import com.google.protobuf.ByteString;

/** Keys under a prefix, as etcd's clients ask for them ({@code clientv3.GetPrefixRangeEnd}). */
public final class Prefixes {
  private static final ByteString ALL = ByteString.copyFrom(new byte[] {0});

  private Prefixes() {}

  /**
   * The range end that selects every key starting with {@code prefix}: the prefix with its last
   * byte below 0xff incremented and what follows dropped; "\0" (every key from the prefix on) when
   * every byte is 0xff. Example: "a/" -> "a0", "a\xff" -> "b".
   */
  public static ByteString rangeEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if ((end[i] & 0xff) < 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ALL;
  }
}
