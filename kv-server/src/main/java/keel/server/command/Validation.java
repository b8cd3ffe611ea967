package keel.server.command;

import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.mvcc.TxnValidator;

/**
 * The checks etcd's KV front door makes before a request reaches Raft (etcd 3.4
 * {@code v3rpc/key.go}): a request refused here changes nothing anywhere. The put and txn rules
 * live with the store ({@link TxnValidator}), which runs them again when applying.
 */
public final class Validation {
  private final int maxTxnOps;

  public Validation(int maxTxnOps) {
    this.maxTxnOps = maxTxnOps;
  }

  public void checkRange(RangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw new EtcdException(EtcdError.EMPTY_KEY);
    }
  }

  public void checkPut(PutRequest r) {
    TxnValidator.checkPut(r);
  }

  public void checkDelete(DeleteRangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw new EtcdException(EtcdError.EMPTY_KEY);
    }
  }

  public void checkTxn(TxnRequest r) {
    TxnValidator.validate(r, maxTxnOps);
  }
}
