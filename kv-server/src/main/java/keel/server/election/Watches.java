package keel.server.election;

import io.etcd.jetcd.api.Event;
import java.util.List;

/** What the recipes need of the watch hub: the events on a key range from a revision on, in order. */
public interface Watches {
  /**
   * Delivers every event on {@code [key, rangeEnd)} (a single key when rangeEnd is empty) with a
   * revision at or after {@code startRevision}, grouped by revision and in revision order, until
   * the returned handle is closed. A compacted start revision or a stopping server ends it with
   * {@link Listener#onError}.
   */
  Handle watch(com.google.protobuf.ByteString key, com.google.protobuf.ByteString rangeEnd, long startRevision,
      Listener listener);

  interface Listener {
    void onEvents(long revision, List<Event> events);

    void onError(Throwable error);
  }

  interface Handle extends AutoCloseable {
    @Override
    void close();
  }
}
