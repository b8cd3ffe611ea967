package keel.client.support;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A recipe's listeners (the one home for them, as Curator's {@code StandardListenerManager} serves
 * every Curator recipe): each is called on its own executor, one call at a time, in the order the
 * calls were handed out.
 *
 * <p>{@link #tell} hands a call to every listener at once. A recipe that changes state under its lock
 * from several threads uses {@link #queue} under the lock and {@link #flush()} after it: calls go out
 * in the order of the state changes, so no listener hears "deposed" before the "elected" it ends, even
 * when the thread that changed state second flushes first.
 *
 * @param <L> the listener type
 */
public final class Listeners<L> {
  private record Registration<L>(L listener, Executor executor) {}

  private final List<Registration<L>> registrations = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
  private final SerialExecutor announcer = new SerialExecutor(Runnable::run);

  /** Calls {@code listener} on {@code executor}, one call at a time, in order. */
  public void add(L listener, Executor executor) {
    registrations.add(new Registration<>(Objects.requireNonNull(listener, "listener"),
        new SerialExecutor(Objects.requireNonNull(executor, "executor"))));
  }

  /** Forgets {@code listener} (every registration of that very object). */
  public void remove(L listener) {
    registrations.removeIf(r -> r.listener() == listener);
  }

  /** Hands {@code call} to every listener's executor now. */
  public void tell(Consumer<L> call) {
    for (Registration<L> r : registrations) {
      r.executor().execute(() -> call.accept(r.listener()));
    }
  }

  /** Under the caller's lock: queues {@code call} for every listener, to go out at the next {@link #flush()}. */
  public void queue(Consumer<L> call) {
    for (Registration<L> r : registrations) {
      queued.add(() -> r.executor().execute(() -> call.accept(r.listener())));
    }
  }

  /** Outside the caller's lock, after queueing: hands the queued calls to the listeners' executors, in order. */
  public void flush() {
    announcer.execute(() -> {
      for (Runnable call = queued.poll(); call != null; call = queued.poll()) {
        call.run();
      }
    });
  }
}
