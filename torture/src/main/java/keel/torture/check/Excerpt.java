package keel.torture.check;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import keel.torture.history.Call;
import keel.torture.history.Event;
import keel.torture.history.Op;
import keel.torture.history.Result;

/**
 * Renders events as the readable lines of a {@link Verdict}'s excerpt, one home for the format
 * every checker uses:
 *
 * <pre>
 * #12 p3 +104.250ms invoke READ k1 @127.0.0.1:2379
 * #15 p3 +105.001ms ok     READ k1 @127.0.0.1:2379 -> 7 (rev 12, mod 10)
 * #16 p1 +105.200ms info   CAS k1 7 -> 9: deadline exceeded
 * </pre>
 *
 * Index in the history, process, time since the start of the history in milliseconds with three
 * decimals, the event type, the operation and, on a completion, its result.
 */
public final class Excerpt {
  private Excerpt() {}

  /** The earliest invocation time among {@code calls}: "the start" the lines are relative to. */
  public static long start(Collection<Call> calls) {
    long start = Long.MAX_VALUE;
    for (Call c : calls) {
      start = Math.min(start, c.invokeNanos());
    }
    return start == Long.MAX_VALUE ? 0 : start;
  }

  /**
   * The invocation and completion lines of {@code calls}, in history order (by time, then index);
   * a call that never completed shows only its invocation.
   */
  public static List<String> lines(Collection<Call> calls, long startNanos) {
    List<Event> events = new ArrayList<>(calls.size() * 2);
    for (Call c : calls) {
      events.add(c.invoke());
      if (c.completion() != null) {
        events.add(c.completion());
      }
    }
    events.sort(Comparator.comparingLong(Event::nanos).thenComparingLong(Event::index));
    List<String> lines = new ArrayList<>(events.size());
    Event previous = null;
    for (Event e : events) {
      if (!e.equals(previous)) {
        lines.add(line(e, startNanos));
      }
      previous = e;
    }
    return lines;
  }

  /** One event as one line. */
  public static String line(Event e, long startNanos) {
    StringBuilder b = new StringBuilder(96);
    b.append('#').append(e.index())
        .append(" p").append(e.process())
        .append(' ').append(millis(e.nanos() - startNanos))
        .append(' ').append(String.format(Locale.ROOT, "%-6s", e.type().name().toLowerCase(Locale.ROOT)))
        .append(' ').append(op(e.op()));
    Result r = e.result();
    if (r != null) {
      if (r.error() != null) {
        b.append(": ").append(r.error());
      } else {
        b.append(' ').append(result(e.op(), r));
      }
    }
    return b.toString();
  }

  /** The operation alone: {@code READ k1 @m}, {@code WRITE k1 := 7}, {@code CAS k1 7 -> 9}. */
  public static String op(Op op) {
    String member = op.member() == null ? "" : " @" + op.member();
    return switch (op.kind()) {
      case READ, SERIAL_READ -> op.kind() + " " + op.key() + member;
      case WRITE -> "WRITE " + op.key() + " := " + op.value() + member;
      case CAS -> "CAS " + op.key() + " " + value(op.expected()) + " -> " + op.value() + member;
    };
  }

  /** A completed call in one line: {@code #12..#15 p3 READ k1 -> 7}. */
  public static String call(Call c) {
    StringBuilder b = new StringBuilder(64);
    b.append('#').append(c.invoke().index());
    if (c.completion() != null) {
      b.append("..#").append(c.completion().index());
    }
    b.append(" p").append(c.process()).append(' ').append(op(c.op()));
    if (c.isOk()) {
      b.append(' ').append(result(c.op(), c.result()));
    } else {
      b.append(c.isFail() ? " (failed)" : " (unknown outcome)");
    }
    return b.toString();
  }

  /** "absent" for {@code null}, else the number. */
  public static String value(Long value) {
    return value == null ? "absent" : value.toString();
  }

  /** Milliseconds with three decimals and a sign: {@code +104.250ms}. */
  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%+.3fms", nanos / 1e6);
  }

  private static String result(Op op, Result r) {
    return switch (op.kind()) {
      case READ, SERIAL_READ ->
          "-> " + value(r.value()) + " (rev " + r.revision() + ", mod " + r.modRevision() + ")";
      case WRITE -> "(rev " + r.revision() + ")";
      case CAS -> (r.succeeded() ? "swapped" : "not swapped") + " (rev " + r.revision() + ")";
    };
  }
}
