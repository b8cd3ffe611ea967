package keel.agent.gate;

import java.time.Duration;

/**
 * How long the supervisor of a {@link GatedProcess} waits before restarting a process that exited
 * while it was wanted: {@code initial}, doubling after each exit up to {@code max}, and back to
 * {@code initial} after a run that lasted {@code resetAfter} (a process that ran for a minute was
 * healthy; its exit is a new incident, not the next of a crash loop).
 *
 * <p>Worked example with the standard values (0.5 s, 30 s, 60 s): runs of 2 s, 1 s, 5 s, 3 s
 * wait 0.5, 1, 2, 4 s; ... 16 s, 30 s, 30 s; then a run of 90 s waits 0.5 s again.
 *
 * <p>Not thread-safe: one per supervisor thread.
 */
final class RestartBackoff {
  /** The values of the brief: 0.5 s doubling to 30 s, reset after a run of 60 s. */
  static final Policy STANDARD = new Policy(Duration.ofMillis(500), Duration.ofSeconds(30),
      Duration.ofSeconds(60), Duration.ofSeconds(1), 3);

  /**
   * The restart policy of a gated process.
   *
   * @param initial first delay after an exit
   * @param max the delay never grows past this
   * @param resetAfter a run at least this long resets the delay to {@code initial}
   * @param quickExit a run shorter than this counts as a failure to start
   * @param quickExitsBeforeError that many failures to start in a row log an ERROR
   */
  record Policy(Duration initial, Duration max, Duration resetAfter, Duration quickExit,
      int quickExitsBeforeError) {
    Policy {
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("restart delays must be 0 < initial <= max, got "
            + initial + " and " + max);
      }
      if (quickExitsBeforeError < 1) {
        throw new IllegalArgumentException("quickExitsBeforeError must be at least 1, got "
            + quickExitsBeforeError);
      }
    }
  }

  private final Policy policy;
  private Duration next;

  RestartBackoff(Policy policy) {
    this.policy = policy;
    this.next = policy.initial();
  }

  /** The delay before the restart that follows a run of {@code ranFor}. */
  Duration afterRun(Duration ranFor) {
    if (ranFor.compareTo(policy.resetAfter()) >= 0) {
      next = policy.initial();
    }
    Duration delay = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(policy.max()) > 0 ? policy.max() : doubled;
    return delay;
  }
}
