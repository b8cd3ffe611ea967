package keel.server.v2store;

/**
 * What a v2 operation did (etcd's {@code Event}).
 *
 * @param action one of {@link #GET}, {@link #SET}, ... as etcd spells them
 * @param prevNode the node before the change, null where etcd gives none
 * @param etcdIndex the store index to report in X-Etcd-Index with this event
 * @param refresh a TTL refresh: recorded in the history but never sent to watchers
 */
public record V2Event(
    String action, V2NodeExtern node, V2NodeExtern prevNode, long etcdIndex, boolean refresh) {

  public static final String GET = "get";
  public static final String CREATE = "create";
  public static final String SET = "set";
  public static final String UPDATE = "update";
  public static final String DELETE = "delete";
  public static final String COMPARE_AND_SWAP = "compareAndSwap";
  public static final String COMPARE_AND_DELETE = "compareAndDelete";
  public static final String EXPIRE = "expire";

  /** The event's index: the modified index of its node. */
  public long index() {
    return node.modifiedIndex();
  }

  /** etcd answers 201 Created for a create, and for a set that replaced nothing. */
  public boolean isCreated() {
    return action.equals(CREATE) || (action.equals(SET) && prevNode == null);
  }

  V2Event withEtcdIndex(long newIndex) {
    return new V2Event(action, node, prevNode, newIndex, refresh);
  }
}
