package keel.server.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The highest log index this member's state machine has applied, with futures for indexes not
 * reached yet. A write forwarded to the leader is answered once the leader applied it; etcd answers
 * it once the member the client asked applied it, so a client reads its own write there. Waiting
 * here for the reply's index gives the same.
 *
 * <p>Futures complete on the applying thread: callers hop to their own executor.
 */
public final class AppliedIndex {
  private record Waiter(long index, CompletableFuture<Void> reached) {}

  private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.index, b.index));
  private long applied;

  /** The state machine applied everything up to {@code index} (an entry, or a loaded snapshot). */
  public void advance(long index) {
    List<Waiter> done = new ArrayList<>();
    synchronized (this) {
      if (index <= applied) {
        return;
      }
      applied = index;
      while (!waiters.isEmpty() && waiters.peek().index <= applied) {
        done.add(waiters.poll());
      }
    }
    done.forEach(w -> w.reached.complete(null));
  }

  /** Completes once {@code index} has been applied here; at once if it already has. */
  public CompletableFuture<Void> reach(long index) {
    synchronized (this) {
      if (index <= applied) {
        return CompletableFuture.completedFuture(null);
      }
      Waiter w = new Waiter(index, new CompletableFuture<>());
      waiters.add(w);
      return w.reached;
    }
  }

  public synchronized long applied() {
    return applied;
  }
}
