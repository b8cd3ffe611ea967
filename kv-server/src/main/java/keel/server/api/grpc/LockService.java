package keel.server.api.grpc;

import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.lock.LockGrpc;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.api.lock.LockResponse;
import io.etcd.jetcd.api.lock.UnlockRequest;
import io.etcd.jetcd.api.lock.UnlockResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import keel.server.election.LocalKv;
import keel.server.election.Recipes;

/**
 * etcd's v3lock service: Lock answers once the caller holds the lock (its key is the oldest
 * under the name), with the key to unlock; the lock is lost with the caller's lease.
 */
public final class LockService extends LockGrpc.LockImplBase {
  private final Recipes recipes;
  private final LocalKv kv;
  private final Headers headers;

  public LockService(Recipes recipes, LocalKv kv, Headers headers) {
    this.recipes = recipes;
    this.kv = kv;
    this.headers = headers;
  }

  @Override
  public void lock(LockRequest request, StreamObserver<LockResponse> observer) {
    Recipes.Waiting waiting = recipes.lock(request.getName(), request.getLease());
    if (observer instanceof ServerCallStreamObserver<LockResponse> call) {
      call.setOnCancelHandler(waiting::cancel);
    }
    Replies.reply(waiting.acquired().thenApply(held -> LockResponse.newBuilder()
        .setHeader(headers.complete(held.header()))
        .setKey(held.key())
        .build()), observer);
  }

  /** Deletes the lock's key; etcd's errors reach the caller as etcd's v3lock passes them on (UNKNOWN). */
  @Override
  public void unlock(UnlockRequest request, StreamObserver<UnlockResponse> observer) {
    Replies.replyAsEtcdClient(kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(request.getKey()).build())
        .thenApply(deleted -> UnlockResponse.newBuilder().setHeader(deleted.getHeader()).build()), observer);
  }
}
