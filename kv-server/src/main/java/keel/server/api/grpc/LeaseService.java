package keel.server.api.grpc;

import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import keel.server.api.grpc.leases.LeaseLeasesRequest;
import keel.server.api.grpc.leases.LeaseLeasesResponse;
import keel.server.api.grpc.leases.LeaseStatus;
import keel.server.command.Command;
import keel.server.command.LeaderAnswer;
import keel.server.command.LeaderQuery;
import keel.server.command.Proposer;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.lease.Lessor;
import keel.server.mvcc.MvccStore;
import keel.server.raft.RatisNode;

/**
 * etcd's Lease service ({@code etcdserver/api/v3rpc/lease.go}). Grant and revoke go through the
 * log. Keep-alive and time-to-live need the leader's lease clocks: any member asks the leader
 * with a {@link LeaderQuery} ({@link RatisNode#queryLeader}), as etcd's followers forward renewals
 * to the leader. The list of leases is read from this member's lessor, as etcd does.
 */
public final class LeaseService extends LeaseGrpc.LeaseImplBase {
  private final RatisNode node;
  private final Supplier<MvccStore> store;
  private final Supplier<Lessor> lessor;
  private final Proposer proposer;
  private final Headers headers;
  private final LeaseIds ids;

  public LeaseService(RatisNode node, Supplier<MvccStore> store, Supplier<Lessor> lessor, Proposer proposer,
      Headers headers) {
    this.node = node;
    this.store = store;
    this.lessor = lessor;
    this.proposer = proposer;
    this.headers = headers;
    this.ids = new LeaseIds(headers.memberId(), System.currentTimeMillis());
  }

  /** ID 0 asks the server to choose: this member picks a fresh id before proposing (etcd's LeaseGrant). */
  @Override
  public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> observer) {
    LeaseGrantRequest chosen = request.getID() != 0 ? request : request.toBuilder().setID(ids.next()).build();
    Replies.reply(proposer.propose(Command.newBuilder().setLeaseGrant(chosen).build())
        .thenApply(result -> result.getLeaseGrant().toBuilder()
            .setHeader(headers.complete(result.getLeaseGrant().getHeader())).build()), observer);
  }

  @Override
  public void leaseRevoke(LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> observer) {
    Replies.reply(proposer.propose(Command.newBuilder().setLeaseRevoke(request).build())
        .thenApply(result -> result.getLeaseRevoke().toBuilder()
            .setHeader(headers.complete(result.getLeaseRevoke().getHeader())).build()), observer);
  }

  /**
   * One answer per request, in order, each with the lease id and its renewed TTL; TTL 0 for a lease
   * the leader does not know (etcd's answer). The header is taken before the renewal, as etcd does,
   * so its revision is never later than the renewal. A failure to reach a leader ends the stream
   * with etcd's error.
   *
   * <p>A client may half-close right after its last request (etcd answers every request before it
   * reads the end of the stream): the stream ends only after the answers to every request before
   * the half-close went out. Answers and the end are therefore all sent from the call's event
   * loop. Armeria runs a send or close made on its event loop at once, but one made elsewhere (an
   * answer completed on a Ratis thread) later, as a task: an answer sent from a Ratis thread could
   * be overtaken by the half-close's close running on the event loop, and be dropped ("call is
   * closed"), leaving the client without its answer.
   */
  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> responses) {
    Executor sender = CallerLoop.current();
    return new StreamObserver<>() {
      /** Renewals of this stream, one after another: each answer is sent before the next starts. */
      private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
      private boolean failed;

      @Override
      public synchronized void onNext(LeaseKeepAliveRequest request) {
        tail = tail.thenCompose(ignored -> renew(request)).handleAsync((response, error) -> {
          synchronized (this) {
            if (failed) {
              return null;
            }
            if (error != null) {
              failed = true;
              responses.onError(Replies.toStatus(error).asRuntimeException());
            } else if (!cancelled(responses)) {
              // A client that sent one request and went (jetcd's keepAliveOnce) has cancelled the
              // call: sending then would only make Armeria log "call is closed".
              responses.onNext(response);
            }
          }
          return null;
        }, sender);
      }

      @Override
      public synchronized void onError(Throwable t) {
        failed = true; // the client went away; answers still in flight are dropped
      }

      @Override
      public synchronized void onCompleted() {
        tail = tail.thenRunAsync(() -> {
          synchronized (this) {
            if (!failed) {
              failed = true;
              responses.onCompleted();
            }
          }
        }, sender);
      }
    };
  }

  private static boolean cancelled(StreamObserver<?> responses) {
    return responses instanceof ServerCallStreamObserver<?> call && call.isCancelled();
  }

  private CompletableFuture<LeaseKeepAliveResponse> renew(LeaseKeepAliveRequest request) {
    var header = headers.header(store.get().currentRevision());
    return askLeader(LeaderQuery.newBuilder().setKeepAlive(request).build())
        .thenApply(answer -> answer.getKeepAlive().toBuilder().setHeader(header).build());
  }

  /** Unknown lease: etcd answers TTL -1 with the asked id, not an error. */
  @Override
  public void leaseTimeToLive(LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> observer) {
    Replies.reply(askLeader(LeaderQuery.newBuilder().setTimeToLive(request).build())
        .handle((answer, error) -> {
          if (error == null) {
            return answer.getTimeToLive().toBuilder().setHeader(headers.header(store.get().currentRevision())).build();
          }
          if (Replies.cause(error) instanceof EtcdException etcd && etcd.error() == EtcdError.LEASE_NOT_FOUND) {
            return LeaseTimeToLiveResponse.newBuilder()
                .setHeader(headers.header(store.get().currentRevision()))
                .setID(request.getID())
                .setTTL(-1)
                .build();
          }
          throw Replies.asCompletion(error);
        }), observer);
  }

  /**
   * The service as served: jetcd-grpc's {@code etcdserverpb.Lease} plus {@code LeaseLeases}, which
   * its copy of rpc.proto lacks (see {@code lease_leases.proto}).
   */
  public ServerServiceDefinition definition() {
    return MissingMethods.withUnary(bindService(), "LeaseLeases", LeaseLeasesRequest.getDefaultInstance(),
        LeaseLeasesResponse.getDefaultInstance(), this::leaseLeases);
  }

  /** Every lease this member's lessor holds, by id (etcd lists its local lessor too). */
  public void leaseLeases(LeaseLeasesRequest request, StreamObserver<LeaseLeasesResponse> observer) {
    Replies.reply(() -> {
      LeaseLeasesResponse.Builder response = LeaseLeasesResponse.newBuilder()
          .setHeader(headers.header(store.get().currentRevision()));
      for (long id : lessor.get().ids()) {
        response.addLeases(LeaseStatus.newBuilder().setID(id));
      }
      return response.build();
    }, observer);
  }

  private CompletableFuture<LeaderAnswer> askLeader(LeaderQuery query) {
    return LeaderQueries.ask(node, query);
  }
}
