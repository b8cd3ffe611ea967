package keel.server.v2store;

import java.time.Instant;

/**
 * Wall-clock time in Unix epoch nanoseconds, the unit of every v2 time. Read only at the doors
 * (a request's ttl, a read's remaining ttl) and by the leader's sweep, never while applying.
 */
public final class EpochClock {
  private EpochClock() {}

  public static long nowNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
