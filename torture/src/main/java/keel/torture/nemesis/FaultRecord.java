package keel.torture.nemesis;

/**
 * One fault on the timeline.
 *
 * @param type what kind ({@code kill}, {@code pause}, ...)
 * @param target what it hit, e.g. {@code m2 (leader)}
 * @param injectedNanos when it began
 * @param healedNanos when it was healed
 * @param convergedNanos when the cluster had converged again after healing
 * @param effect what the fault was seen to do while in place, and how soon ({@link Fault.Effect});
 *     empty when it has no observable sign
 */
public record FaultRecord(String type, String target, long injectedNanos, long healedNanos, long convergedNanos,
    String effect) {}
