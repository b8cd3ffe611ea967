package keel.torture.nemesis;

/**
 * One fault on the timeline.
 *
 * @param type what kind ({@code kill}, {@code pause}, ...)
 * @param target what it hit, e.g. {@code m2 (leader)}
 * @param injectedNanos when it began
 * @param healedNanos when it was healed
 * @param convergedNanos when the cluster had converged again after healing
 */
public record FaultRecord(String type, String target, long injectedNanos, long healedNanos, long convergedNanos) {}
