package keel.server.mvcc;

/**
 * What the MVCC store needs from the lessor: whether a lease id is granted, so that a put naming
 * an unknown lease fails with {@code LEASE_NOT_FOUND} before anything changes (etcd's
 * {@code lessor.Lookup} in {@code apply.go}).
 */
@FunctionalInterface
public interface LeaseLookup {
  /** A lookup for a store without leases: every lease is unknown. */
  LeaseLookup NONE = leaseId -> false;

  boolean exists(long leaseId);
}
