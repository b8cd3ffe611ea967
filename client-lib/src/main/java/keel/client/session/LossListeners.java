package keel.client.session;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who hears of a session's loss, each exactly once: dependents first, synchronously on the thread
 * that tells, then listeners on their executors. One added after the loss was told is told at once.
 * A dependent or listener that throws is logged and does not stop the others.
 */
final class LossListeners {
  private static final Logger LOG = LoggerFactory.getLogger(LossListeners.class);

  private record Registration(SessionListener listener, Executor executor) {}

  private final String session;
  private final List<SessionListener> dependents = new ArrayList<>(); // guarded by this
  private final List<Registration> listeners = new ArrayList<>(); // guarded by this
  private SessionLost told; // guarded by this

  LossListeners(String session) {
    this.session = session;
  }

  void add(SessionListener listener, Executor executor) {
    Registration registration = new Registration(
        Objects.requireNonNull(listener, "listener"), Objects.requireNonNull(executor, "executor"));
    SessionLost already = addUnlessTold(listeners, registration);
    if (already != null) {
      dispatch(registration, already);
    }
  }

  void addDependent(SessionListener dependent) {
    SessionLost already = addUnlessTold(dependents, Objects.requireNonNull(dependent, "dependent"));
    if (already != null) {
      runDependent(dependent, already);
    }
  }

  /** Adds {@code item} to {@code list} if the loss was not told yet; returns the loss if it was. */
  private synchronized <T> SessionLost addUnlessTold(List<T> list, T item) {
    if (told == null) {
      list.add(item);
    }
    return told;
  }

  synchronized void remove(SessionListener listenerOrDependent) {
    dependents.remove(listenerOrDependent);
    listeners.removeIf(r -> r.listener() == listenerOrDependent);
  }

  /** Tells everyone registered so far; called once per session. */
  void tell(SessionLost lost) {
    List<SessionListener> firstly;
    List<Registration> then;
    synchronized (this) {
      if (told != null) {
        return;
      }
      told = lost;
      firstly = List.copyOf(dependents);
      then = List.copyOf(listeners);
      dependents.clear();
      listeners.clear();
    }
    firstly.forEach(d -> runDependent(d, lost));
    then.forEach(r -> dispatch(r, lost));
  }

  private void runDependent(SessionListener dependent, SessionLost lost) {
    try {
      dependent.onLost(lost);
    } catch (RuntimeException | Error e) {
      LOG.error("{}: a dependent failed on loss ({})", session, lost.reason(), e);
    }
  }

  private void dispatch(Registration registration, SessionLost lost) {
    try {
      registration.executor().execute(() -> {
        try {
          registration.listener().onLost(lost);
        } catch (RuntimeException | Error e) {
          LOG.error("{}: a listener failed on loss ({})", session, lost.reason(), e);
        }
      });
    } catch (RejectedExecutionException e) {
      LOG.error("{}: a listener's executor refused the loss ({}); that listener was not told", session,
          lost.reason(), e);
    }
  }
}
