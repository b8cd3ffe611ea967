package keel.server.api.grpc;

import io.etcd.jetcd.api.CampaignRequest;
import io.etcd.jetcd.api.CampaignResponse;
import io.etcd.jetcd.api.ElectionGrpc;
import io.etcd.jetcd.api.LeaderKey;
import io.etcd.jetcd.api.LeaderRequest;
import io.etcd.jetcd.api.LeaderResponse;
import io.etcd.jetcd.api.ProclaimRequest;
import io.etcd.jetcd.api.ProclaimResponse;
import io.etcd.jetcd.api.ResignRequest;
import io.etcd.jetcd.api.ResignResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import keel.server.election.Recipes;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/** etcd's v3election service: campaigns, proclamations and observations over {@link Recipes}. */
public final class ElectionService extends ElectionGrpc.ElectionImplBase {
  private final Recipes recipes;
  private final Headers headers;

  public ElectionService(Recipes recipes, Headers headers) {
    this.recipes = recipes;
    this.headers = headers;
  }

  /** Answers when this contender leads; a client that goes away first withdraws its key. */
  @Override
  public void campaign(CampaignRequest request, StreamObserver<CampaignResponse> observer) {
    Recipes.Waiting waiting = recipes.campaign(request.getName(), request.getLease(), request.getValue());
    if (observer instanceof ServerCallStreamObserver<CampaignResponse> call) {
      call.setOnCancelHandler(waiting::cancel);
    }
    Replies.reply(waiting.acquired().thenApply(held -> CampaignResponse.newBuilder()
        .setHeader(headers.complete(held.header()))
        .setLeader(LeaderKey.newBuilder()
            .setName(request.getName())
            .setKey(held.key())
            .setRev(held.createRevision())
            .setLease(request.getLease()))
        .build()), observer);
  }

  @Override
  public void proclaim(ProclaimRequest request, StreamObserver<ProclaimResponse> observer) {
    Replies.reply(requireLeader(request.hasLeader())
        .thenCompose(ignored -> recipes.proclaim(request.getLeader(), request.getValue()))
        .thenApply(header -> ProclaimResponse.newBuilder().setHeader(headers.complete(header)).build()), observer);
  }

  @Override
  public void leader(LeaderRequest request, StreamObserver<LeaderResponse> observer) {
    Replies.reply(recipes.leader(request.getName()).thenApply(range -> LeaderResponse.newBuilder()
        .setHeader(range.getHeader())
        .setKv(range.getKvs(0))
        .build()), observer);
  }

  @Override
  public void resign(ResignRequest request, StreamObserver<ResignResponse> observer) {
    Replies.reply(requireLeader(request.hasLeader())
        .thenCompose(ignored -> recipes.resign(request.getLeader()))
        .thenApply(header -> ResignResponse.newBuilder().setHeader(headers.complete(header)).build()), observer);
  }

  /** A response each time the leader or its value changes, until the client cancels. */
  @Override
  public void observe(LeaderRequest request, StreamObserver<LeaderResponse> observer) {
    ServerCallStreamObserver<LeaderResponse> call = (ServerCallStreamObserver<LeaderResponse>) observer;
    var handle = recipes.observe(request.getName(),
        (header, kv) -> {
          synchronized (call) {
            if (!call.isCancelled()) {
              call.onNext(LeaderResponse.newBuilder().setHeader(headers.complete(header)).setKv(kv).build());
            }
          }
        },
        error -> {
          synchronized (call) {
            if (!call.isCancelled()) {
              call.onError(Replies.toStatus(error).asRuntimeException());
            }
          }
        });
    call.setOnCancelHandler(handle::close);
  }

  private static CompletableFuture<Void> requireLeader(boolean present) {
    return present ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(new EtcdException(EtcdError.MISSING_LEADER_KEY));
  }

}
