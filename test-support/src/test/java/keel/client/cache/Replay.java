package keel.client.cache;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import keel.client.support.KeyOrder;

/**
 * A listener that rebuilds the cache's view from the loaded snapshot and the changes and diffs it
 * is told, and notes every problem: a change out of revision order or told twice, or a view that
 * differs from the {@code after} snapshot it came with. Tests compare its view with a fresh get.
 */
final class Replay implements PrefixCacheListener {
  private final CompletableFuture<CacheSnapshot> base = new CompletableFuture<>();
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private final List<CacheChange> changes = Collections.synchronizedList(new ArrayList<>());
  private final List<List<CacheChange>> resyncs = Collections.synchronizedList(new ArrayList<>());
  private final Set<String> seen = new HashSet<>();
  private TreeMap<ByteSequence, KeyValue> view;
  private volatile long revision;

  /** The loaded snapshot the replay starts from: the future {@link PrefixCache#start()} returned. */
  void startFrom(CompletableFuture<CacheSnapshot> loaded) {
    loaded.whenComplete((snapshot, error) -> {
      if (error != null) {
        base.completeExceptionally(error);
      } else {
        base.complete(snapshot);
      }
    });
  }

  @Override
  public synchronized void onChanges(List<CacheChange> told, CacheSnapshot after) {
    init();
    for (CacheChange c : told) {
      if (c.revision() < revision) {
        problems.add("out of order: " + c + " after revision " + revision);
      }
      if (!seen.add(c.key() + "@" + c.revision())) {
        problems.add("told twice: " + c);
      }
      apply(c);
      revision = Math.max(revision, c.revision());
      changes.add(c);
    }
    check(after);
  }

  @Override
  public synchronized void onResync(List<CacheChange> diff, CacheSnapshot after) {
    init();
    diff.forEach(this::apply);
    resyncs.add(List.copyOf(diff));
    revision = after.revision();
    check(after);
  }

  private void init() {
    if (view == null) {
      CacheSnapshot loaded = base.join();
      view = new TreeMap<>(loaded.entries());
      revision = loaded.revision();
    }
  }

  private void apply(CacheChange c) {
    if (c.type() == CacheChange.Type.PUT) {
      view.put(c.key(), c.value());
    } else if (view.remove(c.key()) == null) {
      problems.add("a delete of a key not in the view: " + c);
    }
  }

  private void check(CacheSnapshot after) {
    if (!Views.same(view, after.entries())) {
      problems.add("the replayed view differs from the snapshot at " + after.revision());
    }
  }

  synchronized TreeMap<ByteSequence, KeyValue> view() {
    if (view == null) {
      return new TreeMap<>(base.join().entries());
    }
    return new TreeMap<>(view);
  }

  long revision() {
    return revision;
  }

  List<String> problems() {
    return List.copyOf(problems);
  }

  List<CacheChange> changes() {
    return List.copyOf(changes);
  }

  List<List<CacheChange>> resyncs() {
    return List.copyOf(resyncs);
  }

  /** View comparison by key, value and revisions (jetcd's KeyValue has no equals). */
  static final class Views {
    private Views() {}

    static boolean same(java.util.Map<ByteSequence, KeyValue> a, java.util.Map<ByteSequence, KeyValue> b) {
      if (!a.keySet().equals(b.keySet())) {
        return false;
      }
      for (ByteSequence key : a.keySet()) {
        if (!KeyOrder.sameVersion(a.get(key), b.get(key))) {
          return false;
        }
      }
      return true;
    }

    static String describe(java.util.Map<ByteSequence, KeyValue> view) {
      StringBuilder text = new StringBuilder("{");
      view.forEach((k, v) -> text.append(k.toString(java.nio.charset.StandardCharsets.UTF_8)).append('=')
          .append(v.getValue().toString(java.nio.charset.StandardCharsets.UTF_8)).append('@')
          .append(v.getModRevision()).append(' '));
      return text.append('}').toString();
    }
  }
}
