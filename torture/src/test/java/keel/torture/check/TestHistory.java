package keel.torture.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import keel.torture.history.Call;
import keel.torture.history.History;
import keel.torture.history.Op;
import keel.torture.history.Result;

/**
 * Hand-built histories: each call is given with its invocation and completion times in
 * milliseconds (the completion may be OK, FAIL, INFO or missing), and {@link #calls()} replays
 * them in time order into a {@link History} with a controlled clock. Times must be distinct where
 * order matters; at equal times invocations go first, in the order given.
 */
final class TestHistory {
  static final String M1 = "127.0.0.1:2379";
  static final String M2 = "127.0.0.2:2379";

  private enum End { OK, FAIL, INFO, NONE }

  private record Planned(int process, long from, long to, Op op, End end, Result result, int seq) {}

  private final List<Planned> planned = new ArrayList<>();

  TestHistory write(int p, long from, long to, String key, long value) {
    return add(p, from, to, Op.write(key, value, M1), End.OK, Result.written(0));
  }

  TestHistory write(int p, long from, long to, String key, long value, long revision) {
    return add(p, from, to, Op.write(key, value, M1), End.OK, Result.written(revision));
  }

  TestHistory writeInfo(int p, long from, long to, String key, long value) {
    return add(p, from, to, Op.write(key, value, M1), End.INFO, null);
  }

  TestHistory writeOpen(int p, long from, String key, long value) {
    return add(p, from, Long.MAX_VALUE, Op.write(key, value, M1), End.NONE, null);
  }

  TestHistory writeFail(int p, long from, long to, String key, long value) {
    return add(p, from, to, Op.write(key, value, M1), End.FAIL, null);
  }

  TestHistory read(int p, long from, long to, String key, Long value) {
    return add(p, from, to, Op.read(key, M1), End.OK, Result.read(value, 0, 0));
  }

  TestHistory readInfo(int p, long from, long to, String key) {
    return add(p, from, to, Op.read(key, M1), End.INFO, null);
  }

  TestHistory cas(int p, long from, long to, String key, Long expected, long value, boolean swapped) {
    return add(p, from, to, Op.cas(key, expected, value, M1), End.OK, Result.cas(swapped, 0));
  }

  TestHistory cas(int p, long from, long to, String key, Long expected, long value, boolean swapped,
      long revision) {
    return add(p, from, to, Op.cas(key, expected, value, M1), End.OK, Result.cas(swapped, revision));
  }

  TestHistory casInfo(int p, long from, long to, String key, Long expected, long value) {
    return add(p, from, to, Op.cas(key, expected, value, M1), End.INFO, null);
  }

  TestHistory serialRead(int p, long from, long to, String key, String member, Long value,
      long revision, long modRevision) {
    return add(p, from, to, Op.serialRead(key, member), End.OK,
        Result.read(value, revision, modRevision));
  }

  private TestHistory add(int p, long from, long to, Op op, End end, Result result) {
    if (to < from) {
      throw new IllegalArgumentException("a call cannot return (" + to + ") before it starts (" + from + ")");
    }
    planned.add(new Planned(p, from, to, op, end, result, planned.size()));
    return this;
  }

  /** The calls, recorded in time order through a {@link History} (times in ms from 0). */
  List<Call> calls() {
    record Step(long at, boolean invoke, Planned call) {}
    List<Step> steps = new ArrayList<>();
    for (Planned c : planned) {
      steps.add(new Step(c.from(), true, c));
      if (c.end() != End.NONE) {
        steps.add(new Step(c.to(), false, c));
      }
    }
    steps.sort(Comparator.comparingLong(Step::at)
        .thenComparing(s -> !s.invoke())
        .thenComparingInt(s -> s.call().seq()));
    long[] now = {0};
    History history = new History(() -> now[0]);
    History.Invocation[] open = new History.Invocation[planned.size()];
    for (Step s : steps) {
      now[0] = s.at() * 1_000_000L;
      Planned c = s.call();
      if (s.invoke()) {
        open[c.seq()] = history.invoke(c.process(), c.op());
      } else {
        switch (c.end()) {
          case OK -> open[c.seq()].ok(c.result());
          case FAIL -> open[c.seq()].fail("etcdserver: request timed out");
          case INFO -> open[c.seq()].info("deadline exceeded");
          case NONE -> throw new AssertionError("no completion to record");
        }
      }
    }
    return history.calls();
  }
}
