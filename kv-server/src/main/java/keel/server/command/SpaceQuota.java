package keel.server.command;

import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmType;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.function.LongSupplier;

/**
 * etcd's space quota at the door ({@code quotaKVServer}, {@code quotaLeaseServer}): a put, a txn
 * or a lease grant that would take this member's store to {@code --quota-backend-bytes} is refused
 * with "database space exceeded", after this member raised the NOSPACE alarm through the log. The
 * alarm caps every member's store (see {@code Applier}) until an operator disarms it, after a
 * compaction and a defragment made room. The size is this member's {@code MvccStore#dbSizeBytes}
 * (etcd's db file size); the cost is etcd's {@code backendQuota.Cost}.
 */
public final class SpaceQuota {
  /** No quota (etcd's negative {@code --quota-backend-bytes}). */
  public static final SpaceQuota NONE = new SpaceQuota(-1, () -> 0, 0);

  /** etcd's estimate of what one key's revision costs the backend besides its key and value. */
  static final int KV_OVERHEAD = 256;
  /** etcd's estimate of what one lease costs the backend. */
  static final int LEASE_OVERHEAD = 64;

  private final long quotaBytes;
  private final LongSupplier dbSize;
  private final long memberId;

  /**
   * @param quotaBytes the quota; negative or zero: none
   * @param dbSize this member's store size, as etcd's status reports it
   * @param memberId this member, named in the alarm it raises
   */
  public SpaceQuota(long quotaBytes, LongSupplier dbSize, long memberId) {
    this.quotaBytes = quotaBytes;
    this.dbSize = dbSize;
    this.memberId = memberId;
  }

  /** Whether etcd's door would refuse {@code command}: its size plus its cost reaches the quota. */
  boolean refuses(Command command) {
    if (quotaBytes <= 0) {
      return false;
    }
    long cost;
    switch (command.getBodyCase()) {
      case PUT -> cost = KV_OVERHEAD + command.getPut().getKey().size() + command.getPut().getValue().size();
      case TXN -> cost = txnCost(command.getTxn());
      case LEASE_GRANT -> cost = LEASE_OVERHEAD;
      default -> {
        return false;
      }
    }
    return dbSize.getAsLong() + cost >= quotaBytes;
  }

  /** The alarm this member raises when it refuses a request. */
  Command alarm() {
    return Command.newBuilder().setAlarm(AlarmRequest.newBuilder()
        .setAction(AlarmRequest.AlarmAction.ACTIVATE).setMemberID(memberId).setAlarm(AlarmType.NOSPACE)).build();
  }

  public long quotaBytes() {
    return quotaBytes;
  }

  /** etcd counts the puts directly in the costlier branch (not those of nested txns). */
  static long txnCost(TxnRequest txn) {
    return Math.max(putsCost(txn.getSuccessList()), putsCost(txn.getFailureList()));
  }

  private static long putsCost(java.util.List<RequestOp> ops) {
    long cost = 0;
    for (RequestOp op : ops) {
      if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_PUT) {
        cost += KV_OVERHEAD + op.getRequestPut().getKey().size() + op.getRequestPut().getValue().size();
      }
    }
    return cost;
  }
}
