package keel.server.raft;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Linearizable reads in rounds, as etcd's read loop serves them: one ReadIndex on its way at a
 * time, and every read that arrives meanwhile waits for the next one, which starts when the
 * current one completes. A thousand concurrent reads cost a few ReadIndex requests (on a follower,
 * a few round trips to the leader) instead of a thousand.
 *
 * <p>Safe because a read joins only a round that starts after it arrived: the round's read index
 * is the commit index at a moment after the read began, which is what linearizability asks. A read
 * never joins the round already on its way, whose index may predate a write the reader saw
 * complete.
 *
 * <p>A round's readers share its outcome: all complete, or all fail with its error. Futures
 * complete on the thread that completed the round: callers hop to their own executor.
 */
final class ReadRounds {
  private final Supplier<CompletableFuture<Void>> readIndex;
  /** The readers of the round on its way, or null when none is. */
  private CompletableFuture<Void> current;
  /** The readers that arrived while {@link #current} was on its way, or null when none did. */
  private CompletableFuture<Void> next;

  /** @param readIndex one ReadIndex: completes once this member applied the commit index of now */
  ReadRounds(Supplier<CompletableFuture<Void>> readIndex) {
    this.readIndex = readIndex;
  }

  /** Completes once this member caught up to a commit index read after this call. */
  CompletableFuture<Void> await() {
    CompletableFuture<Void> readers;
    synchronized (this) {
      if (current != null) {
        if (next == null) {
          next = new CompletableFuture<>();
        }
        return next;
      }
      current = readers = new CompletableFuture<>();
    }
    start(readers);
    return readers;
  }

  private void start(CompletableFuture<Void> readers) {
    CompletableFuture<Void> round;
    try {
      round = readIndex.get();
    } catch (RuntimeException e) {
      round = CompletableFuture.failedFuture(e);
    }
    round.whenComplete((caughtUp, error) -> {
      CompletableFuture<Void> following;
      synchronized (this) {
        following = next;
        next = null;
        current = following;
      }
      if (following != null) {
        start(following);
      }
      if (error == null) {
        readers.complete(null);
      } else {
        readers.completeExceptionally(error);
      }
    });
  }
}
