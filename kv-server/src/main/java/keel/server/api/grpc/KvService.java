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
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import keel.server.TestBreaks;
import keel.server.command.Command;
import keel.server.command.Proposer;
import keel.server.command.Validation;
import keel.server.election.LocalKv;
import keel.server.mvcc.MvccStore;
import keel.server.mvcc.TxnValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's KV service. Writes are validated here and proposed; reads are served from the local
 * store, after a ReadIndex barrier unless the client asked for a serializable read.
 *
 * <p>Two {@link TestBreaks} switches, for the torture checkers' self-test only, break this on
 * purpose: {@code stale-reads} drops the barrier, {@code early-ack} answers a put before it commits.
 */
public final class KvService extends KVGrpc.KVImplBase implements LocalKv {
  private static final Logger LOG = LoggerFactory.getLogger(KvService.class);

  private final Supplier<CompletableFuture<Void>> readBarrier;
  private final Supplier<MvccStore> store;
  private final Proposer proposer;
  private final Validation validation;
  private final Headers headers;
  private final TestBreaks breaks;

  /**
   * @param readBarrier a linearizable read's ReadIndex ({@code RatisNode::readBarrier}): completes
   *     once this member has applied everything committed when it was called
   * @param breaks {@link TestBreaks#NONE} except in the torture checkers' self-test
   */
  public KvService(Supplier<CompletableFuture<Void>> readBarrier, Supplier<MvccStore> store, Proposer proposer,
      Validation validation, Headers headers, TestBreaks breaks) {
    this.readBarrier = readBarrier;
    this.store = store;
    this.proposer = proposer;
    this.validation = validation;
    this.headers = headers;
    this.breaks = breaks;
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> observer) {
    Replies.reply(range(request), observer);
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> observer) {
    Replies.reply(put(request), observer);
  }

  @Override
  public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> observer) {
    Replies.reply(deleteRange(request), observer);
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> observer) {
    Replies.reply(txn(request), observer);
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> observer) {
    Replies.reply(compact(request), observer);
  }

  /** A range as etcd serves it: linearizable after a ReadIndex barrier unless serializable. */
  public CompletableFuture<RangeResponse> range(RangeRequest request) {
    try {
      validation.checkRange(request);
      // breaks.staleReads(): exists only for the torture checkers' self-test (keel.test.break)
      if (request.getSerializable() || breaks.staleReads()) {
        return CompletableFuture.completedFuture(rangeLocally(request));
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    Executor caller = CallerLoop.current();
    return readBarrier.get().thenApplyAsync(ignored -> rangeLocally(request), caller);
  }

  private RangeResponse rangeLocally(RangeRequest request) {
    RangeResponse response = store.get().range(request);
    return response.toBuilder().setHeader(headers.complete(response.getHeader())).build();
  }

  public CompletableFuture<PutResponse> put(PutRequest request) {
    if (breaks.earlyAck()) {
      return putBeforeCommit(request);
    }
    return propose(() -> validation.checkPut(request), Command.newBuilder().setPut(request).build())
        .thenApply(result -> result.getPut().toBuilder()
            .setHeader(headers.complete(result.getPut().getHeader())).build());
  }

  /**
   * Exists only for the torture checkers' self-test ({@code keel.test.break=early-ack}): answers a
   * valid put as if it had committed, at the revision it would get if nothing came before it
   * (this member's current revision + 1), and lets the proposal go on unobserved: if it fails,
   * or commits after other writes, nobody learns. No prev_kv. Breaks linearizability on purpose.
   */
  private CompletableFuture<PutResponse> putBeforeCommit(PutRequest request) {
    long revision = store.get().currentRevision() + 1;
    CompletableFuture<keel.server.command.CommandResult> proposal =
        propose(() -> validation.checkPut(request), Command.newBuilder().setPut(request).build());
    if (proposal.isCompletedExceptionally()) {
      // refused before it was proposed (invalid, too large): that answer is still honest
      return proposal.thenApply(result -> PutResponse.getDefaultInstance());
    }
    proposal.whenComplete((result, error) -> {
      if (error != null) {
        LOG.debug("keel.test.break=early-ack: a put acknowledged at revision {} did not commit: {}", revision,
            error.toString());
      }
    });
    return CompletableFuture.completedFuture(PutResponse.newBuilder().setHeader(headers.header(revision)).build());
  }

  public CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
    return propose(() -> validation.checkDelete(request), Command.newBuilder().setDeleteRange(request).build())
        .thenApply(result -> result.getDeleteRange().toBuilder()
            .setHeader(headers.complete(result.getDeleteRange().getHeader())).build());
  }

  /**
   * A txn as etcd serves it: one that only reads is answered from the local store (after a
   * ReadIndex barrier unless all its ranges are serializable), anything else goes through the log.
   */
  public CompletableFuture<TxnResponse> txn(TxnRequest request) {
    if (TxnValidator.isReadOnly(request)) {
      try {
        validation.checkTxn(request);
        // breaks.staleReads(): exists only for the torture checkers' self-test (keel.test.break)
        if (TxnValidator.isSerializable(request) || breaks.staleReads()) {
          return CompletableFuture.completedFuture(txnLocally(request));
        }
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      Executor caller = CallerLoop.current();
      return readBarrier.get().thenApplyAsync(ignored -> txnLocally(request), caller);
    }
    return propose(() -> validation.checkTxn(request), Command.newBuilder().setTxn(request).build())
        .thenApply(result -> result.getTxn().toBuilder()
            .setHeader(headers.complete(result.getTxn().getHeader())).build());
  }

  /** A read-only txn on this member's store, under its read lock. */
  private TxnResponse txnLocally(TxnRequest request) {
    TxnResponse response = store.get().readOnlyTxn(request);
    return response.toBuilder().setHeader(headers.complete(response.getHeader())).build();
  }

  public CompletableFuture<CompactionResponse> compact(CompactionRequest request) {
    return propose(() -> { }, Command.newBuilder().setCompaction(request).build())
        .thenApply(result -> result.getCompaction().toBuilder()
            .setHeader(headers.complete(result.getCompaction().getHeader())).build());
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
