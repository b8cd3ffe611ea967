package keel.server.api.grpc;

import io.etcd.jetcd.api.ResponseHeader;
import java.util.function.LongSupplier;
import keel.server.raft.RatisNode;

/** Fills etcd's response header: cluster and member id, the store revision, the Raft term. */
public final class Headers {
  private final long clusterId;
  private final long memberId;
  private final LongSupplier term;

  public Headers(long clusterId, long memberId, RatisNode node) {
    this(clusterId, memberId, node::term);
  }

  /** With the Raft term from {@code term} (tests pass a constant). */
  public Headers(long clusterId, long memberId, LongSupplier term) {
    this.clusterId = clusterId;
    this.memberId = memberId;
    this.term = term;
  }

  public long clusterId() {
    return clusterId;
  }

  public long memberId() {
    return memberId;
  }

  public ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder()
        .setClusterId(clusterId)
        .setMemberId(memberId)
        .setRevision(revision)
        .setRaftTerm(term.getAsLong())
        .build();
  }

  /** Keeps the revision the state machine wrote into an applied response, and adds the rest. */
  public ResponseHeader complete(ResponseHeader applied) {
    return header(applied.getRevision());
  }
}
