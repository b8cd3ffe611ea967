package keel.server.api.grpc;

import com.google.protobuf.UnknownFieldSet;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.etcd.jetcd.api.AlarmMember;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.AlarmType;
import io.etcd.jetcd.api.DefragmentRequest;
import io.etcd.jetcd.api.DefragmentResponse;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.HashRequest;
import io.etcd.jetcd.api.HashResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.MoveLeaderResponse;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import keel.server.cluster.ClusterView;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.command.MemberRecord;
import keel.server.command.Proposer;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.mvcc.MvccStore;
import keel.server.raft.RatisNode;
import keel.server.statemachine.Alarms;
import keel.server.statemachine.SnapshotRestore;

/**
 * etcd's Maintenance service: status, alarm and defragment for {@code etcdctl endpoint status},
 * {@code endpoint health}, {@code alarm list} and {@code defrag}; HashKV (etcd's own number, see
 * {@link MvccStore#hashKv}) and Hash; MoveLeader; Snapshot, in Keel's own format.
 */
public final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  /** The etcd API version Keel implements; clients gate features on it. */
  public static final String VERSION = "3.4.0";

  /** etcd streams its snapshot in 32 KiB pieces. */
  private static final int SNAPSHOT_CHUNK = 32 * 1024;

  // StatusResponse fields that etcd 3.4 has and jetcd's copy of rpc.proto lacks.
  private static final int RAFT_APPLIED_INDEX_FIELD = 7;
  private static final int ERRORS_FIELD = 8;
  private static final int DB_SIZE_IN_USE_FIELD = 9;
  private static final int IS_LEARNER_FIELD = 10;

  private final RatisNode node;
  private final Supplier<MvccStore> store;
  private final Supplier<Alarms> alarms;
  private final Proposer proposer;
  private final Headers headers;
  private final ClusterView cluster;
  private final Supplier<Path> latestSnapshot;

  /** @param latestSnapshot this member's latest snapshot file, null before its first */
  public MaintenanceService(RatisNode node, Supplier<MvccStore> store, Supplier<Alarms> alarms, Proposer proposer,
      Headers headers, ClusterView cluster, Supplier<Path> latestSnapshot) {
    this.latestSnapshot = latestSnapshot;
    this.node = node;
    this.store = store;
    this.alarms = alarms;
    this.proposer = proposer;
    this.headers = headers;
    this.cluster = cluster;
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
    String transferee = cluster.member(request.getTargetID())
        .filter(member -> !member.getLearner())
        .map(MemberRecord::getRaftPeer)
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
      UnknownFieldSet.Field.Builder errors = UnknownFieldSet.Field.newBuilder();
      for (AlarmMember alarm : alarms.get().get(AlarmType.NONE)) {
        errors.addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8(describe(alarm)));
      }
      return StatusResponse.newBuilder()
          .setHeader(headers.header(current.currentRevision()))
          .setVersion(VERSION)
          .setDbSize(current.dbSizeBytes())
          .setLeader(cluster.leaderId())
          .setRaftIndex(node.commitIndex())
          .setRaftTerm(node.term())
          .setUnknownFields(UnknownFieldSet.newBuilder()
              .addField(RAFT_APPLIED_INDEX_FIELD,
                  UnknownFieldSet.Field.newBuilder().addVarint(node.appliedIndex()).build())
              .addField(ERRORS_FIELD, errors.build())
              .addField(DB_SIZE_IN_USE_FIELD,
                  UnknownFieldSet.Field.newBuilder().addVarint(current.sizeBytes()).build())
              .mergeFrom(learnerField())
              .build())
          .build();
    }, observer);
  }

  /** isLearner (etcd 3.4's field 10, absent from jetcd's copy), sent only when true as proto3 does. */
  private UnknownFieldSet learnerField() {
    return cluster.isLearner()
        ? UnknownFieldSet.newBuilder().addField(IS_LEARNER_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()
        : UnknownFieldSet.getDefaultInstance();
  }

  /**
   * etcd's alarm list, activate and disarm, all through the log as etcd's are (the list too, so
   * it answers what every member agrees on). etcd 3.4 answers without a header (its applier
   * builds the response bare), and so does Keel.
   */
  @Override
  public void alarm(AlarmRequest request, StreamObserver<AlarmResponse> observer) {
    Replies.reply(proposer.propose(Command.newBuilder().setAlarm(request).build())
        .thenApply(CommandResult::getAlarm), observer);
  }

  /**
   * The store lives in memory and its snapshots are written compact; what a defragment does here
   * is what an operator watches it do on etcd: the db size drops to the size in use, the space
   * compactions freed. etcd 3.4 answers an empty response, without a header.
   */
  @Override
  public void defragment(DefragmentRequest request, StreamObserver<DefragmentResponse> observer) {
    Replies.reply(() -> {
      store.get().defragment();
      return DefragmentResponse.getDefaultInstance();
    }, observer);
  }

  /**
   * etcd's Snapshot: this member's whole state as of now, streamed in 32 KiB chunks, each with the
   * bytes still to come. The member takes a snapshot first (through Raft, on its apply thread, so
   * at one revision) and streams that file, Keel's own format, framed as etcd's stream is
   * ({@link SnapshotRestore#STREAM_SECTOR}; {@code etcdctl snapshot save} checks it, {@code keel
   * snapshot restore} reads it). The file is opened before the
   * first chunk, so a newer snapshot replacing it meanwhile changes nothing.
   */
  @Override
  public void snapshot(SnapshotRequest request, StreamObserver<SnapshotResponse> observer) {
    node.takeSnapshotCovering().thenApplyAsync(index -> {
      Path file = latestSnapshot.get();
      if (file == null) {
        throw new EtcdException(EtcdError.UNKNOWN);
      }
      try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file)) {
        long size = in.size();
        int padding = SnapshotRestore.streamPadding(size);
        long total = size + padding + SnapshotRestore.STREAM_DIGEST;
        java.security.MessageDigest sha256 = SnapshotRestore.streamDigest();
        long sent = 0;
        java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(SNAPSHOT_CHUNK);
        while (sent < size) {
          chunk.clear();
          int n = in.read(chunk);
          if (n < 0) {
            throw new java.io.EOFException(file + " ended after " + sent + " of " + size + " bytes");
          }
          chunk.flip();
          sha256.update(chunk.duplicate());
          sent += n;
          observer.onNext(SnapshotResponse.newBuilder().setRemainingBytes(total - sent)
              .setBlob(com.google.protobuf.ByteString.copyFrom(chunk)).build());
        }
        byte[] tail = new byte[padding + SnapshotRestore.STREAM_DIGEST];
        sha256.update(tail, 0, padding);
        System.arraycopy(sha256.digest(), 0, tail, padding, SnapshotRestore.STREAM_DIGEST);
        observer.onNext(SnapshotResponse.newBuilder().setRemainingBytes(0)
            .setBlob(com.google.protobuf.ByteString.copyFrom(tail)).build());
        return total;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, ServiceRequestContext.current().blockingTaskExecutor()).whenComplete((total, error) -> {
      if (error == null) {
        observer.onCompleted();
      } else {
        observer.onError(Replies.toStatus(error).asRuntimeException());
      }
    });
  }

  /** As etcd's status errors and Go's text form of an AlarmMember write it ("memberID:1 alarm:NOSPACE "). */
  static String describe(AlarmMember alarm) {
    return "memberID:" + Long.toUnsignedString(alarm.getMemberID()) + " alarm:" + alarm.getAlarm() + " ";
  }
}
