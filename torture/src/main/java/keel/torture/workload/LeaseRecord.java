package keel.torture.workload;

/**
 * One lease of the lease workload, as its client saw it.
 *
 * @param id the lease ID
 * @param key the key attached to it ({@code lease/<id hex>})
 * @param ttlSeconds the TTL the grant answered
 * @param keyWritten whether the put of the key was acknowledged
 * @param lastRefreshSentNanos when the last keep-alive that was answered alive was sent (the grant's
 *     send time when none was): the lease lives at least until this plus the TTL
 * @param lastRefreshAnsweredNanos when that answer arrived: the lease was refreshed no later, so it
 *     may expire from this plus the TTL on
 * @param lostNanos when a keep-alive answered that the lease was gone while the client still kept
 *     it alive, or 0
 * @param unansweredSentNanos when the last keep-alive after that answered one was sent that got no
 *     answer in time, or 0: it may still reach the leader later (from a member that was frozen or
 *     cut off) and refresh the lease then
 */
public record LeaseRecord(
    long id, String key, long ttlSeconds, boolean keyWritten,
    long lastRefreshSentNanos, long lastRefreshAnsweredNanos, long lostNanos, long unansweredSentNanos) {}
