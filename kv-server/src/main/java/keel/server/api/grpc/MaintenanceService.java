package keel.server.api.grpc;

import com.google.protobuf.UnknownFieldSet;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.DefragmentRequest;
import io.etcd.jetcd.api.DefragmentResponse;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.HashRequest;
import io.etcd.jetcd.api.HashResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.MoveLeaderResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import keel.server.errors.EtcdError;
import keel.server.mvcc.MvccStore;
import keel.server.raft.RatisNode;

/**
 * etcd's Maintenance service: status, alarm and defragment for {@code etcdctl endpoint status},
 * {@code endpoint health}, {@code alarm list} and {@code defrag}; HashKV (etcd's own number, see
 * {@link MvccStore#hashKv}) and Hash; MoveLeader. Snapshot is not served yet (see README).
 */
public final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  /** The etcd API version Keel implements; clients gate features on it. */
  public static final String VERSION = "3.4.0";

  // StatusResponse fields that etcd 3.4 has and jetcd's copy of rpc.proto lacks.
  private static final int RAFT_APPLIED_INDEX_FIELD = 7;
  private static final int DB_SIZE_IN_USE_FIELD = 9;

  private final RatisNode node;
  private final Supplier<MvccStore> store;
  private final Headers headers;
  private final Map<String, Long> memberIds;

  public MaintenanceService(RatisNode node, Supplier<MvccStore> store, Headers headers,
      Map<String, Long> memberIds) {
    this.node = node;
    this.store = store;
    this.headers = headers;
    this.memberIds = memberIds;
  }

  /**
   * Read from this member's store as it is, like etcd (no ReadIndex). Hashing walks the whole
   * history, so it runs on the blocking task executor, never on the event loop.
   */
  @Override
  public void hashKV(HashKVRequest request, StreamObserver<HashKVResponse> observer) {
    Replies.reply(CompletableFuture.supplyAsync(() -> {
      HashKVResponse answer = store.get().hashKv(request.getRevision());
      return answer.toBuilder().setHeader(headers.header(answer.getHeader().getRevision())).build();
    }, ServiceRequestContext.current().blockingTaskExecutor()), observer);
  }

  @Override
  public void hash(HashRequest request, StreamObserver<HashResponse> observer) {
    Replies.reply(CompletableFuture.supplyAsync(() -> {
      HashResponse answer = store.get().hash();
      return answer.toBuilder().setHeader(headers.header(answer.getHeader().getRevision())).build();
    }, ServiceRequestContext.current().blockingTaskExecutor()), observer);
  }

  /**
   * etcd's MoveLeader: only the leader takes it (NOT_LEADER elsewhere), the target must be a
   * member (BAD_LEADER_TRANSFEREE), and the answer, without a header as etcd's, comes once this
   * member sees the target lead.
   */
  @Override
  public void moveLeader(MoveLeaderRequest request, StreamObserver<MoveLeaderResponse> observer) {
    if (!node.isLeader()) {
      observer.onError(EtcdError.NOT_LEADER.status().asRuntimeException());
      return;
    }
    String transferee = memberIds.entrySet().stream()
        .filter(e -> e.getValue() == request.getTargetID())
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(null);
    if (transferee == null) {
      observer.onError(EtcdError.BAD_LEADER_TRANSFEREE.status().asRuntimeException());
      return;
    }
    Replies.reply(node.transferLeadership(transferee).thenApply(done -> MoveLeaderResponse.getDefaultInstance()),
        observer);
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
    Replies.reply(() -> {
      MvccStore current = store.get();
      String leader = node.leaderName();
      long size = current.sizeBytes();
      return StatusResponse.newBuilder()
          .setHeader(headers.header(current.currentRevision()))
          .setVersion(VERSION)
          .setDbSize(size)
          .setLeader(leader == null ? 0 : memberIds.getOrDefault(leader, 0L))
          .setRaftIndex(node.commitIndex())
          .setRaftTerm(node.term())
          .setUnknownFields(UnknownFieldSet.newBuilder()
              .addField(RAFT_APPLIED_INDEX_FIELD,
                  UnknownFieldSet.Field.newBuilder().addVarint(node.appliedIndex()).build())
              .addField(DB_SIZE_IN_USE_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(size).build())
              .build())
          .build();
    }, observer);
  }

  /**
   * No alarm is ever raised yet: the quota answers NOSPACE per request instead. etcd 3.4 answers
   * alarm without a header (its applier builds the response bare), and so does Keel.
   */
  @Override
  public void alarm(AlarmRequest request, StreamObserver<AlarmResponse> observer) {
    Replies.reply(AlarmResponse::getDefaultInstance, observer);
  }

  /**
   * The store lives in memory and its snapshots are written compact: nothing to defragment. etcd
   * 3.4 answers an empty response, without a header.
   */
  @Override
  public void defragment(DefragmentRequest request, StreamObserver<DefragmentResponse> observer) {
    Replies.reply(DefragmentResponse::getDefaultInstance, observer);
  }
}
