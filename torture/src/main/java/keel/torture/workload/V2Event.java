package keel.torture.workload;

/**
 * One event a v2 watcher received ({@code GET /v2/keys/ttl?wait=true&recursive=true&waitIndex=N}).
 *
 * @param nanos when it arrived
 * @param action etcd's action: {@code set}, {@code expire}, ...
 * @param key the node's key ({@code /ttl/k12})
 * @param modifiedIndex the node's modified index: the v2 index of this event
 */
public record V2Event(long nanos, String action, String key, long modifiedIndex) {
  @Override
  public String toString() {
    return "index " + modifiedIndex + " " + action + " " + key;
  }
}
