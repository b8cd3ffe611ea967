package keel.server.v2store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The v2 store's operation counters, as etcd's {@code /v2/stats/store} prints them. Counted on
 * each member as it applies (writes) or answers (reads), so members may differ, as in etcd; not
 * part of the snapshot.
 */
public final class V2Stats {
  /** The counted operations, in etcd's field order. */
  public enum Op {
    GETS("gets"),
    SETS("sets"),
    DELETE("delete"),
    UPDATE("update"),
    CREATE("create"),
    COMPARE_AND_SWAP("compareAndSwap"),
    COMPARE_AND_DELETE("compareAndDelete");

    private final String field;

    Op(String field) {
      this.field = field;
    }
  }

  private final AtomicLongArray success = new AtomicLongArray(Op.values().length);
  private final AtomicLongArray fail = new AtomicLongArray(Op.values().length);
  private final AtomicLong expireCount = new AtomicLong();

  public void record(Op op, boolean succeeded) {
    (succeeded ? success : fail).incrementAndGet(op.ordinal());
  }

  public void expired(int count) {
    expireCount.addAndGet(count);
  }

  public long successes(Op op) {
    return success.get(op.ordinal());
  }

  public long failures(Op op) {
    return fail.get(op.ordinal());
  }

  /** etcd's field names and order, with the watcher count appended as etcd does. */
  public Map<String, Long> fields(int watchers) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Op op : Op.values()) {
      out.put(op.field + "Success", successes(op));
      out.put(op.field + "Fail", failures(op));
    }
    out.put("expireCount", expireCount.get());
    out.put("watchers", (long) watchers);
    return out;
  }
}
