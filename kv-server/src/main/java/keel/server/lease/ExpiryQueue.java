package keel.server.lease;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The leader's lease clocks: when each lease expires, by this member's monotonic clock. Not
 * replicated and not deterministic: only the leader keeps one, and what it decides reaches the
 * other members as a revoke written to the log (etcd's primary lessor does the same).
 *
 * <p>Life cycle, as etcd's {@code Promote}/{@code Demote}: {@link #promote} (on becoming leader)
 * starts every lease's clock afresh at now + TTL + an extension, so a lease never expires early
 * because leadership moved; {@link #demote} forgets every clock.
 *
 * <p>The apply thread tells it of grants and revokes with {@link #offerGranted} and {@link
 * #offerRevoked}: lock-free offers to a queue that is drained, and stamped with the clock, by
 * whichever other thread next uses the queue. So the apply thread never reads the clock.
 *
 * <p>Example, TTL 10 s, clock at 0: promote({7: 10}, extend 1 s) puts 7 at 11 s; {@code renew(7)}
 * at 4 s moves it to 14 s and answers 10; {@code remainingNanos(7)} at 5 s answers 9 s; {@code
 * expired(...)} at 14 s answers [7] and, until a revoke arrives, offers 7 again only after the
 * retry interval (3 s, etcd's {@code expiredLeaseRetryInterval}).
 */
public final class ExpiryQueue {
  /** How long an expired lease waits before its revoke is proposed again (etcd: 3 s). */
  static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(3);

  private record Notice(long id, long ttl, boolean granted) {}

  private record Deadline(long at, long id) implements Comparable<Deadline> {
    @Override
    public int compareTo(Deadline o) {
      int byTime = Long.compare(at, o.at);
      return byTime != 0 ? byTime : Long.compare(id, o.id);
    }
  }

  private static final class Clock {
    final long ttl;
    /** When the lease expires. */
    long expiry;
    /** When the queue next looks at it: its expiry, or after that the next revoke retry. */
    long due;
    /** Proposed for revoke; not renewable any more (etcd: an expired lease waits for its revoke). */
    boolean expired;

    Clock(long ttl, long expiry) {
      this.ttl = ttl;
      this.expiry = expiry;
      this.due = expiry;
    }
  }

  private final LongSupplier nanoTime;
  private final ConcurrentLinkedQueue<Notice> notices = new ConcurrentLinkedQueue<>();
  /** Read by the apply thread to skip offers on a follower. */
  private volatile boolean active;
  // Guarded by this.
  private final Map<Long, Clock> clocks = new HashMap<>();
  private final TreeSet<Deadline> byDeadline = new TreeSet<>();

  public ExpiryQueue(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  public boolean isActive() {
    return active;
  }

  /** Non-blocking; called on the apply thread after a grant. Ignored unless promoted. */
  public void offerGranted(long id, long ttl) {
    if (active) {
      notices.add(new Notice(id, ttl, true));
    }
  }

  /** Non-blocking; called on the apply thread after a revoke. Ignored unless promoted. */
  public void offerRevoked(long id) {
    if (active) {
      notices.add(new Notice(id, 0, false));
    }
  }

  /**
   * Starts every lease's clock at now + its TTL + {@code extendNanos}. {@code ttls} must be read
   * from the lessor after this call flips to active (the caller passes a supplier), so a grant or
   * revoke applied meanwhile is either in the map or in the notice queue; replaying both is
   * harmless (a grant notice restarts a clock, a revoke notice removes one that is gone).
   */
  public synchronized void promote(java.util.function.Supplier<Map<Long, Long>> ttls, long extendNanos) {
    clear();
    active = true;
    long now = nanoTime.getAsLong();
    ttls.get().forEach((id, ttl) -> start(id, ttl, now + TimeUnit.SECONDS.toNanos(ttl) + extendNanos));
  }

  /** Forgets every clock; offers are ignored until the next {@link #promote}. */
  public synchronized void demote() {
    active = false;
    clear();
  }

  /**
   * etcd's {@code Renew}: restarts the lease's clock at now + TTL and answers the TTL; empty when
   * the lease is unknown or has already expired (its revoke is under way).
   */
  public synchronized OptionalLong renew(long id) {
    long now = drain();
    Clock clock = clocks.get(id);
    if (clock == null || clock.expired || clock.expiry <= now) {
      return OptionalLong.empty();
    }
    clock.expiry = now + TimeUnit.SECONDS.toNanos(clock.ttl);
    reschedule(id, clock, clock.expiry);
    return OptionalLong.of(clock.ttl);
  }

  /** Nanoseconds until the lease expires (negative once past); empty for an unknown lease. */
  public synchronized OptionalLong remainingNanos(long id) {
    long now = drain();
    Clock clock = clocks.get(id);
    return clock == null ? OptionalLong.empty() : OptionalLong.of(clock.expiry - now);
  }

  /**
   * Up to {@code max} leases whose time is up, soonest first. Each is marked expired and offered
   * again only after {@link #RETRY_NANOS} should its revoke not arrive.
   */
  public synchronized List<Long> expired(int max) {
    long now = drain();
    List<Long> due = new ArrayList<>();
    while (due.size() < max && !byDeadline.isEmpty() && byDeadline.first().at() <= now) {
      long id = byDeadline.first().id();
      Clock clock = clocks.get(id);
      clock.expired = true;
      reschedule(id, clock, now + RETRY_NANOS);
      due.add(id);
    }
    return due;
  }

  /** How many leases have a clock (for tests and logs). */
  public synchronized int size() {
    drain();
    return clocks.size();
  }

  private long drain() {
    long now = nanoTime.getAsLong();
    for (Notice n; (n = notices.poll()) != null; ) {
      if (!active) {
        continue;
      }
      if (n.granted()) {
        start(n.id(), n.ttl(), now + TimeUnit.SECONDS.toNanos(n.ttl()));
      } else {
        Clock gone = clocks.remove(n.id());
        if (gone != null) {
          byDeadline.remove(new Deadline(gone.due, n.id()));
        }
      }
    }
    return now;
  }

  private void start(long id, long ttl, long expiry) {
    Clock old = clocks.remove(id);
    if (old != null) {
      byDeadline.remove(new Deadline(old.due, id));
    }
    clocks.put(id, new Clock(ttl, expiry));
    byDeadline.add(new Deadline(expiry, id));
  }

  private void reschedule(long id, Clock clock, long due) {
    byDeadline.remove(new Deadline(clock.due, id));
    clock.due = due;
    byDeadline.add(new Deadline(due, id));
  }

  private void clear() {
    notices.clear();
    clocks.clear();
    byDeadline.clear();
  }
}
