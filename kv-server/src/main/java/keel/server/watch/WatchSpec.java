package keel.server.watch;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import keel.server.mvcc.KeyRange;

/**
 * What one watcher asked for, after etcd's normalisation of a WatchCreateRequest.
 *
 * @param key first key (etcd turns an empty key into {@code "\0"}, the smallest key)
 * @param rangeEnd as in Range: empty for the single key, {@code "\0"} for every key
 *     {@code >= key}, else the exclusive end
 * @param startRevision first revision to deliver (etcd's minRev); never 0, the caller resolves
 *     "now" to the current revision + 1
 * @param noPut etcd's NOPUT filter
 * @param noDelete etcd's NODELETE filter
 * @param prevKv whether events keep prev_kv
 */
public record WatchSpec(ByteString key, ByteString rangeEnd, long startRevision, boolean noPut,
    boolean noDelete, boolean prevKv) {

  KeyRange range() {
    return KeyRange.of(key, rangeEnd);
  }

  boolean accepts(Event event) {
    return switch (event.getType()) {
      case PUT -> !noPut;
      case DELETE -> !noDelete;
      case UNRECOGNIZED -> true;
    };
  }
}
