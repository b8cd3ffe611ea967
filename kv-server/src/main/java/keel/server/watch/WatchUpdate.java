package keel.server.watch;

import io.etcd.jetcd.api.Event;
import java.util.List;

/**
 * What a watcher hands its stream, one WatchResponse each: events (one write's, or a page of
 * history), a progress notification (no events), or the end of a watcher whose start revision
 * was compacted away.
 *
 * @param revision the revision for the response header: the store revision the hub had fanned
 *     out when it produced this update; 0 for a compaction, as etcd leaves it
 * @param events in revision order; empty for progress and compaction
 * @param compactRevision non-zero only for a compaction: the watcher is canceled with it
 */
public record WatchUpdate(long revision, List<Event> events, long compactRevision) {
  public WatchUpdate {
    events = List.copyOf(events);
  }

  public boolean isCompaction() {
    return compactRevision != 0;
  }
}
