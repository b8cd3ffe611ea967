package keel.torture.workload;

/**
 * One write a leader made under its fencing guard ({@code If(leader key's create revision ==
 * token) Then put(fence, token:seq)}).
 *
 * @param token the leadership's fencing token
 * @param seq the leader's count of its writes
 * @param invokeNanos when it was sent
 * @param completeNanos when it was answered, or 0 when unanswered (may still commit)
 * @param applied whether the guard held and the put was applied (false when unanswered)
 * @param revision the revision it got when applied
 */
public record FencedWrite(long token, long seq, long invokeNanos, long completeNanos, boolean applied, long revision) {
  public String value() {
    return token + ":" + seq;
  }
}
