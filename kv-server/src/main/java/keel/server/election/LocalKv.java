package keel.server.election;

import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.concurrent.CompletableFuture;

/**
 * The KV operations the recipes need, served by this member exactly as a client would be: writes
 * through Raft, reads linearizable. Failures complete the future with an EtcdException.
 */
public interface LocalKv {
  CompletableFuture<TxnResponse> txn(TxnRequest request);

  CompletableFuture<RangeResponse> range(RangeRequest request);

  CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request);
}
