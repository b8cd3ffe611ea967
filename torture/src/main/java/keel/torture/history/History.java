package keel.torture.history;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A recorded history of register operations, appended to by many client threads at once. Each
 * operation is an {@link Event.Type#INVOKE} followed by one OK, FAIL or INFO, with {@link
 * System#nanoTime()} stamps taken inside the lock, so the event order is the time order.
 *
 * <pre>
 * History.Invocation call = history.invoke(process, Op.write("k1", 7, member));
 * try {
 *   long rev = kv.put(...).get(...).getHeader().getRevision();
 *   call.ok(Result.written(rev));
 * } catch (TimeoutException e) {
 *   call.info(e.toString());        // it may still happen
 * }
 * </pre>
 */
public final class History {
  private final List<Event> events = new ArrayList<>();
  private final LongSupplier clock;

  public History() {
    this(System::nanoTime);
  }

  /** A history stamped by {@code clock} (tests build histories with chosen times). */
  public History(LongSupplier clock) {
    this.clock = clock;
  }

  /** Records the invocation; the caller completes it exactly once. */
  public Invocation invoke(int process, Op op) {
    return new Invocation(append(process, Event.Type.INVOKE, op, null));
  }

  private synchronized Event append(int process, Event.Type type, Op op, Result result) {
    Event e = new Event(events.size(), clock.getAsLong(), process, type, op, result);
    events.add(e);
    return e;
  }

  /** A copy of every event so far, in order. */
  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /**
   * Every invocation paired with its completion, in invocation order; an invocation with no
   * completion yet gets {@code null} (unknown outcome).
   */
  public List<Call> calls() {
    return calls(events());
  }

  /** Pairs a list of events (from {@link #events()}) into calls. */
  public static List<Call> calls(List<Event> events) {
    Map<Integer, Event> open = new HashMap<>();
    Map<Long, Event> completionOf = new HashMap<>();
    for (Event e : events) {
      if (e.type() == Event.Type.INVOKE) {
        Event previous = open.put(e.process(), e);
        if (previous != null) {
          throw new IllegalArgumentException(
              "process " + e.process() + " invoked event " + e.index() + " while " + previous.index()
                  + " was still open");
        }
      } else {
        Event invoke = open.remove(e.process());
        if (invoke == null) {
          throw new IllegalArgumentException(
              "event " + e.index() + " completes nothing: process " + e.process() + " has no open call");
        }
        completionOf.put(invoke.index(), e);
      }
    }
    List<Call> calls = new ArrayList<>();
    for (Event e : events) {
      if (e.type() == Event.Type.INVOKE) {
        calls.add(new Call(e, completionOf.get(e.index())));
      }
    }
    return calls;
  }

  /** Writes the history as JSON lines, one event per line (Jepsen's fields, times in ns). */
  public void writeTo(Path file) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Event e : events()) {
        out.write(HistoryJson.line(e));
        out.newLine();
      }
    }
  }

  /** One open call: complete it once with {@link #ok}, {@link #fail} or {@link #info}. */
  public final class Invocation {
    private final Event invoke;
    private boolean completed;

    private Invocation(Event invoke) {
      this.invoke = invoke;
    }

    public Event event() {
      return invoke;
    }

    public void ok(Result result) {
      complete(Event.Type.OK, result);
    }

    /** It certainly did not take effect. */
    public void fail(String error) {
      complete(Event.Type.FAIL, Result.error(error));
    }

    /** It may or may not have taken effect, now or later. */
    public void info(String error) {
      complete(Event.Type.INFO, Result.error(error));
    }

    private synchronized void complete(Event.Type type, Result result) {
      if (completed) {
        throw new IllegalStateException("event " + invoke.index() + " completed twice");
      }
      completed = true;
      append(invoke.process(), type, invoke.op(), result);
    }
  }
}
