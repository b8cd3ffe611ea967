package keel.server.mvcc;

import com.google.protobuf.ByteString;
import java.util.Collections;
import java.util.Comparator;
import java.util.NavigableMap;

/**
 * The keys a request names with etcd's {@code key}/{@code range_end} pair:
 *
 * <ul>
 *   <li>empty range_end: the single key {@code key};
 *   <li>range_end {@code "\0"} (one zero byte): every key {@code >= key} (etcd's
 *       {@code mkGteRange}); so key {@code "\0"} with range_end {@code "\0"} is every key;
 *   <li>otherwise the half-open interval {@code [key, range_end)}, empty when range_end {@code <=}
 *       key.
 * </ul>
 *
 * Bytes compare unsigned, as Go's {@code bytes.Compare}.
 */
public record KeyRange(ByteString key, ByteString end, Kind kind) {
  public static final Comparator<ByteString> ORDER = ByteString.unsignedLexicographicalComparator();
  private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

  public enum Kind { SINGLE, FROM, BETWEEN }

  public static KeyRange of(ByteString key, ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      return new KeyRange(key, rangeEnd, Kind.SINGLE);
    }
    if (rangeEnd.equals(ZERO)) {
      return new KeyRange(key, ByteString.EMPTY, Kind.FROM);
    }
    return new KeyRange(key, rangeEnd, Kind.BETWEEN);
  }

  public boolean contains(ByteString k) {
    return switch (kind) {
      case SINGLE -> k.equals(key);
      case FROM -> ORDER.compare(k, key) >= 0;
      case BETWEEN -> ORDER.compare(k, key) >= 0 && ORDER.compare(k, end) < 0;
    };
  }

  /** The entries of {@code map} (ordered by {@link #ORDER}) whose keys are in this range. */
  <V> NavigableMap<ByteString, V> slice(NavigableMap<ByteString, V> map) {
    return switch (kind) {
      case SINGLE -> map.subMap(key, true, key, true);
      case FROM -> map.tailMap(key, true);
      case BETWEEN -> ORDER.compare(key, end) < 0
          ? map.subMap(key, true, end, false)
          : Collections.emptyNavigableMap();
    };
  }
}
