package keel.server.api.grpc;

import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.DefragmentRequest;
import io.etcd.jetcd.api.DefragmentResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.function.Supplier;
import keel.server.mvcc.MvccStore;
import keel.server.raft.RatisNode;

/**
 * etcd's Maintenance service: what {@code etcdctl endpoint status} and {@code endpoint health}
 * need. Hash, snapshot and move-leader are not served yet (see README).
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
