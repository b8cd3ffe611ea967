package keel.torture.workload;

import io.etcd.jetcd.maintenance.StatusResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.concurrent.locks.LockSupport;

/**
 * Asks every member for its status every 100 ms and records when a new leadership began (as first
 * seen by any member): another leader, or the same one elected again in a later term. Leader
 * changes bound how late a lease may expire: every new leader restarts every lease's TTL, as
 * etcd's does.
 */
public final class LeaderObserver implements AutoCloseable {
  private final int members;
  private final IntFunction<StatusResponse> status;
  private final List<Long> changes = new ArrayList<>(); // when, nanoTime
  private final Thread thread;
  private volatile boolean stopping;
  // The leadership last recorded; read and written by the observer's one thread.
  private long currentLeader;
  private long currentTerm;

  /** @param status member i's status, or {@code null} when it does not answer (soon) */
  public LeaderObserver(int members, IntFunction<StatusResponse> status) {
    this.members = members;
    this.status = status;
    this.thread = new Thread(this::run, "leader-observer");
    thread.setDaemon(true);
  }

  public LeaderObserver start() {
    thread.start();
    return this;
  }

  private void run() {
    while (!stopping) {
      poll();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /**
   * Asks every member once. A leadership is a leader in a term: the same member elected again in a
   * later term (after a failed leader transfer, say) is a new leader too, and restarts every
   * lease's TTL as much as another member would. A member still reporting an older term is behind.
   */
  void poll() {
    for (int i = 0; i < members && !stopping; i++) {
      StatusResponse s = status.apply(i); // down, paused or cut off: null, ask the others
      if (s == null || s.getLeader() == 0 || s.getRaftTerm() < currentTerm) {
        continue;
      }
      if (s.getRaftTerm() > currentTerm || s.getLeader() != currentLeader) {
        currentLeader = s.getLeader();
        currentTerm = s.getRaftTerm();
        synchronized (changes) {
          changes.add(System.nanoTime());
        }
      }
    }
  }

  /** When a new leader was first seen, in order. */
  public List<Long> changeTimes() {
    synchronized (changes) {
      return List.copyOf(changes);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    thread.join(5_000);
  }
}
