package keel.server.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.lock.UnlockRequest;
import io.etcd.jetcd.api.lock.UnlockResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import keel.server.election.LocalKv;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Found by GrpcFuzzIT: etcd's v3lock passes etcd's errors on as UNKNOWN, text unchanged. */
@Timeout(10)
class LockServiceTest {
  @Test
  void unlockOfAnEmptyKeyIsUnknownWithEtcdsText() {
    LocalKv refusing = new LocalKv() {
      @Override
      public CompletableFuture<TxnResponse> txn(TxnRequest request) {
        throw new UnsupportedOperationException();
      }

      @Override
      public CompletableFuture<RangeResponse> range(RangeRequest request) {
        throw new UnsupportedOperationException();
      }

      @Override
      public CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
        return CompletableFuture.failedFuture(new EtcdException(EtcdError.EMPTY_KEY));
      }
    };
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    new LockService(null, refusing, null).unlock(UnlockRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(UnlockResponse value) {
        failure.completeExceptionally(new AssertionError("answered " + value));
      }

      @Override
      public void onError(Throwable t) {
        failure.complete(t);
      }

      @Override
      public void onCompleted() { }
    });
    Status status = Status.fromThrowable(failure.join());
    assertThat(status.getCode()).isEqualTo(Status.Code.UNKNOWN);
    assertThat(status.getDescription()).isEqualTo("etcdserver: key is not provided");
  }
}
