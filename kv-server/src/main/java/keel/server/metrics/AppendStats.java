package keel.server.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One member's Raft append traffic as etcd's {@code /v2/stats/self} and {@code /v2/stats/leader}
 * show it: appends received as a follower, appends sent as leader, and per follower how the appends
 * sent to it fared. Fed by {@link RaftAppendTraffic} from what Ratis counts and times per append.
 *
 * <p>Only appends that carry entries count, as etcd counts its MsgApp and not its heartbeats
 * (Ratis's heartbeats are appends without entries). The counts span the member's life, across
 * leader changes, as etcd's do.
 */
public final class AppendStats {
  /**
   * etcd's minimum before a follower's first success: its starting value, 2^63 (etcd prints
   * {@code 9223372036854776000}).
   */
  static final double NO_MINIMUM = 0x1p63;
  /** etcd's package rate is taken over the last 200 messages... */
  static final int RATE_WINDOW = 200;
  /** ...and is 0 once the newest is more than a second old. */
  static final long RATE_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final LongSupplier nanoClock;
  private final Direction received = new Direction();
  private final Direction sent = new Direction();
  private final Map<String, Follower> followers = new ConcurrentHashMap<>();

  public AppendStats() {
    this(System::nanoTime);
  }

  AppendStats(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** A count of appends and their rate: messages per second over the recent ones, 0 when idle. */
  public record Traffic(long count, double perSecond) {}

  /**
   * How the appends sent to one follower fared: replies and their round trips in milliseconds, and
   * sends that got no reply in time. Before the first reply every latency is 0 and the minimum is
   * 2^63, as etcd prints them ({@code "minimum":9223372036854776000}).
   */
  public record FollowerStats(double current, double average, double standardDeviation, double minimum,
      double maximum, long fail, long success) {}

  /** Appends this member received and handled as a follower. */
  public Traffic received() {
    return received.traffic(nanoClock.getAsLong());
  }

  /** Appends this member sent to its followers as leader, one per follower and message. */
  public Traffic sent() {
    return sent.traffic(nanoClock.getAsLong());
  }

  /** The appends sent to {@code follower} (its Raft peer id); all zero if none was ever sent. */
  public FollowerStats follower(String follower) {
    Follower stats = followers.get(follower);
    return stats == null ? new Follower().stats() : stats.stats();
  }

  void onReceived() {
    received.record(nanoClock.getAsLong());
  }

  void onSent() {
    sent.record(nanoClock.getAsLong());
  }

  /** {@code follower} replied to an append after {@code nanos}. */
  void onReply(String follower, long nanos) {
    followers.computeIfAbsent(follower, f -> new Follower()).replied(nanos);
  }

  /** {@code follower} did not reply to an append in time. */
  void onTimeout(String follower) {
    followers.computeIfAbsent(follower, f -> new Follower()).timedOut();
  }

  /**
   * One direction's count and the times of its recent messages, in a ring. The rate is the number
   * of messages in the ring over the time from the oldest to the newest, as etcd reckons it, e.g.
   * 4 messages at 0, 10, 20 and 40 ms give 4 / 0.04 s = 100 per second. A gap of more than a second
   * starts the ring afresh, so a burst after a pause is not averaged over the pause.
   */
  private static final class Direction {
    private final long[] times = new long[RATE_WINDOW];
    private long count;
    /** Messages in the ring (at most its length) and where the newest is. */
    private int held;
    private int newest = -1;

    synchronized void record(long now) {
      count++;
      if (held > 0 && now - times[newest] > RATE_IDLE_NANOS) {
        held = 0;
      }
      newest = (newest + 1) % times.length;
      times[newest] = now;
      held = Math.min(held + 1, times.length);
    }

    synchronized Traffic traffic(long now) {
      if (held < 2 || now - times[newest] > RATE_IDLE_NANOS) {
        return new Traffic(count, 0);
      }
      long oldest = times[(newest - held + 1 + times.length) % times.length];
      long span = times[newest] - oldest;
      // Messages recorded in the same nanosecond have no measurable rate.
      return new Traffic(count, span <= 0 ? 0 : held * 1e9 / span);
    }
  }

  /**
   * Round trips in milliseconds: the mean and the (population) standard deviation kept by Welford's
   * update, which unlike a sum of squares gives exactly 0 for equal round trips.
   */
  private static final class Follower {
    private long success;
    private long fail;
    private double current;
    private double mean;
    /** Sum of squared differences from the mean. */
    private double squares;
    private double minimum = NO_MINIMUM;
    private double maximum;

    synchronized void replied(long nanos) {
      double millis = nanos / 1e6;
      success++;
      current = millis;
      double fromOldMean = millis - mean;
      mean += fromOldMean / success;
      squares += fromOldMean * (millis - mean);
      minimum = Math.min(minimum, millis);
      maximum = Math.max(maximum, millis);
    }

    synchronized void timedOut() {
      fail++;
    }

    synchronized FollowerStats stats() {
      if (success == 0) {
        return new FollowerStats(0, 0, 0, minimum, 0, fail, 0);
      }
      double deviation = Math.sqrt(Math.max(0, squares / success));
      return new FollowerStats(current, mean, deviation, minimum, maximum, fail, success);
    }
  }
}
