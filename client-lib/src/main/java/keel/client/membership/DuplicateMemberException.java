package keel.client.membership;

import keel.client.support.RecipeKeys;

/**
 * A member name is already registered under a lease that is neither this session's nor the given
 * previous one: probably another node with the same name.
 */
public final class DuplicateMemberException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String name;
  private final long otherLeaseId;

  public DuplicateMemberException(String name, long otherLeaseId) {
    super("member name '" + name + "' is already registered under "
        + (otherLeaseId == 0 ? "no lease" : "lease " + RecipeKeys.hex(otherLeaseId))
        + ": another node uses this name? Choose another name, or, for this node restarted, pass the lease it held "
        + "before as previousLeaseId (or wait until that lease expires)");
    this.name = name;
    this.otherLeaseId = otherLeaseId;
  }

  public String name() {
    return name;
  }

  /** The lease the existing registration lives under (0: none). */
  public long otherLeaseId() {
    return otherLeaseId;
  }
}
