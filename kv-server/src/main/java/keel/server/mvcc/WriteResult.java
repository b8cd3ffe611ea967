package keel.server.mvcc;

import io.etcd.jetcd.api.Event;
import java.util.List;

/**
 * What a write operation on {@link MvccStore} answers.
 *
 * @param response etcd's response message, without its header (the caller fills the header)
 * @param revision the revision to report in the response header: the new revision when the
 *     operation changed the store, otherwise the current one
 * @param events the changes made, in revision order (main, then sub), for the watch hub: PUT with
 *     the new kv, DELETE with a kv holding only the key and the deletion's mod_revision (as etcd's
 *     watchable store does); both with prev_kv set to the key's previous live kv when there was one.
 *     The watch hub strips prev_kv for watchers that did not ask for it. Immutable.
 */
public record WriteResult<T>(T response, long revision, List<Event> events) {
  public WriteResult {
    events = List.copyOf(events);
  }
}
