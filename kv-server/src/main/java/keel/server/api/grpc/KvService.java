package keel.server.api.grpc;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import keel.server.command.Command;
import keel.server.command.Proposer;
import keel.server.command.Validation;
import keel.server.mvcc.MvccStore;
import keel.server.raft.RatisNode;

/**
 * etcd's KV service. Writes are validated here and proposed; reads are served from the local
 * store, after a ReadIndex barrier unless the client asked for a serializable read.
 */
public final class KvService extends KVGrpc.KVImplBase {
  private final RatisNode node;
  private final Supplier<MvccStore> store;
  private final Proposer proposer;
  private final Validation validation;
  private final Headers headers;

  public KvService(RatisNode node, Supplier<MvccStore> store, Proposer proposer, Validation validation,
      Headers headers) {
    this.node = node;
    this.store = store;
    this.proposer = proposer;
    this.validation = validation;
    this.headers = headers;
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> observer) {
    try {
      validation.checkRange(request);
    } catch (RuntimeException e) {
      observer.onError(Replies.toStatus(e).asRuntimeException());
      return;
    }
    if (request.getSerializable()) {
      Replies.reply(() -> rangeLocally(request), observer);
    } else {
      Replies.reply(node.readBarrier().thenApply(ignored -> rangeLocally(request)), observer);
    }
  }

  private RangeResponse rangeLocally(RangeRequest request) {
    RangeResponse response = store.get().range(request);
    return response.toBuilder().setHeader(headers.complete(response.getHeader())).build();
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> observer) {
    Replies.reply(propose(() -> validation.checkPut(request), Command.newBuilder().setPut(request).build())
        .thenApply(result -> result.getPut().toBuilder()
            .setHeader(headers.complete(result.getPut().getHeader())).build()), observer);
  }

  @Override
  public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> observer) {
    Replies.reply(propose(() -> validation.checkDelete(request),
        Command.newBuilder().setDeleteRange(request).build())
        .thenApply(result -> result.getDeleteRange().toBuilder()
            .setHeader(headers.complete(result.getDeleteRange().getHeader())).build()), observer);
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> observer) {
    Replies.reply(propose(() -> validation.checkTxn(request), Command.newBuilder().setTxn(request).build())
        .thenApply(result -> result.getTxn().toBuilder()
            .setHeader(headers.complete(result.getTxn().getHeader())).build()), observer);
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> observer) {
    Replies.reply(propose(() -> { }, Command.newBuilder().setCompaction(request).build())
        .thenApply(result -> result.getCompaction().toBuilder()
            .setHeader(headers.complete(result.getCompaction().getHeader())).build()), observer);
  }

  private CompletableFuture<keel.server.command.CommandResult> propose(Runnable check, Command command) {
    try {
      check.run();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return proposer.propose(command);
  }
}
