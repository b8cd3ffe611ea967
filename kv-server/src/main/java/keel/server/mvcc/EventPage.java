package keel.server.mvcc;

import io.etcd.jetcd.api.Event;
import java.util.List;

/**
 * One page of MVCC history for a watcher catching up ({@link MvccStore#events}).
 *
 * @param events the events read, in revision then sub-revision order, with prev_kv where the
 *     previous version is still retained; immutable
 * @param nextRevision the first main revision not read yet: read again from there, or, when it is
 *     past the requested upper bound, the reader has everything up to that bound
 */
public record EventPage(List<Event> events, long nextRevision) {
  public EventPage {
    events = List.copyOf(events);
  }
}
