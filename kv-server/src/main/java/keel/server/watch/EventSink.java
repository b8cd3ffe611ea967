package keel.server.watch;

import io.etcd.jetcd.api.Event;
import java.util.List;

/**
 * Where the state machine hands the events of each applied write. Both calls come from the apply
 * thread and must return at once: they never wait on a watcher (DESIGN: the watch hub).
 */
public interface EventSink {
  /** A sink that drops everything (a state machine without watchers, unit tests). */
  EventSink NONE = new EventSink() {
    @Override
    public void publish(long revision, List<Event> events) { }

    @Override
    public void restored(long revision) { }
  };

  /**
   * The events of one applied write that took main revision {@code revision}, in sub-revision
   * order, PUT and DELETE events carrying prev_kv when there was one. Called in revision order.
   */
  void publish(long revision, List<Event> events);

  /** The store was replaced by a snapshot at {@code revision}: history may have jumped. */
  void restored(long revision);
}
