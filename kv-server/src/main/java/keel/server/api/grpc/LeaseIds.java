package keel.server.api.grpc;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Picks lease ids for grants that name none, unique across the cluster without coordination, as
 * etcd's request id generator does: the member's id in the top bits, then a counter started from
 * the wall clock at member start (so a restarted member does not reuse ids). Always positive,
 * never 0 (0 is "no lease").
 *
 * <pre>
 *   bit 63: 0 | bits 48-62: low 15 bits of the member id | bits 0-47: counter
 * </pre>
 */
final class LeaseIds {
  private static final long COUNTER_BITS = 48;
  private static final long COUNTER_MASK = (1L << COUNTER_BITS) - 1;

  private final long prefix;
  private final AtomicLong counter;

  LeaseIds(long memberId, long startMillis) {
    this.prefix = (memberId & 0x7FFF) << COUNTER_BITS;
    // milliseconds times 256: room for 256 grants per millisecond of downtime before ids repeat
    this.counter = new AtomicLong((startMillis << 8) & COUNTER_MASK);
  }

  long next() {
    while (true) {
      long id = prefix | (counter.incrementAndGet() & COUNTER_MASK);
      if (id != 0) {
        return id;
      }
    }
  }
}
