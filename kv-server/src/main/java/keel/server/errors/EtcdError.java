package keel.server.errors;

import io.grpc.Status;

/**
 * Every etcd v3 error Keel can answer, with etcd's gRPC code and its text byte for byte
 * (etcd's {@code api/v3rpc/rpctypes}). Clients match on the text: etcdctl and the Go client
 * turn a known text back into a typed error, so a changed word is a changed behaviour.
 *
 * <p>This enum is the only place a code or a text is written. Stores name a constant; the
 * front doors render it.
 */
public enum EtcdError {
  EMPTY_KEY(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided"),
  KEY_NOT_FOUND(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found"),
  VALUE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided"),
  LEASE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: lease is provided"),
  TOO_MANY_OPS(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request"),
  DUPLICATE_KEY(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request"),
  COMPACTED(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted"),
  FUTURE_REV(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision"),
  NO_SPACE(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded"),

  LEASE_NOT_FOUND(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"),
  LEASE_EXIST(Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists"),
  LEASE_TTL_TOO_LARGE(Status.Code.OUT_OF_RANGE, "etcdserver: too large lease TTL"),

  MEMBER_NOT_FOUND(Status.Code.NOT_FOUND, "etcdserver: member not found"),
  MEMBER_EXIST(Status.Code.FAILED_PRECONDITION, "etcdserver: member ID already exist"),
  PEER_URL_EXIST(Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists"),
  /** etcd 3.4 maps this one to its client-side error value, so gRPC sends it as unknown. */
  MEMBER_NOT_ENOUGH_STARTED(Status.Code.UNKNOWN,
      "etcdserver: re-configuration failed due to not enough started members"),
  MEMBER_BAD_URLS(Status.Code.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid"),
  MEMBER_NOT_LEARNER(Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member"),
  LEARNER_NOT_READY(Status.Code.FAILED_PRECONDITION,
      "etcdserver: can only promote a learner member which is in sync with leader"),
  TOO_MANY_LEARNERS(Status.Code.FAILED_PRECONDITION, "etcdserver: too many learner members in cluster"),
  NOT_SUPPORTED_FOR_LEARNER(Status.Code.UNAVAILABLE, "etcdserver: rpc not supported for learner"),

  REQUEST_TOO_LARGE(Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large"),
  TOO_MANY_REQUESTS(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: too many requests"),

  NO_LEADER(Status.Code.UNAVAILABLE, "etcdserver: no leader"),
  NOT_LEADER(Status.Code.FAILED_PRECONDITION, "etcdserver: not leader"),
  LEADER_CHANGED(Status.Code.UNAVAILABLE, "etcdserver: leader changed"),
  BAD_LEADER_TRANSFEREE(Status.Code.FAILED_PRECONDITION, "etcdserver: bad leader transferee"),
  /** Not in etcd's gRPC error table, so it reaches the client as an unknown error. */
  LEADER_TRANSFER_TIMEOUT(Status.Code.UNKNOWN, "etcdserver: request timed out, leader transfer took too long"),
  STOPPED(Status.Code.UNAVAILABLE, "etcdserver: server stopped"),
  TIMEOUT(Status.Code.UNAVAILABLE, "etcdserver: request timed out"),
  TIMEOUT_DUE_TO_LEADER_FAIL(Status.Code.UNAVAILABLE,
      "etcdserver: request timed out, possibly due to previous leader failure"),
  UNHEALTHY(Status.Code.UNAVAILABLE, "etcdserver: unhealthy cluster"),
  CORRUPT(Status.Code.DATA_LOSS, "etcdserver: corrupt cluster"),

  /**
   * What etcd answers when a proposal waited its whole request timeout without a leader: raft's
   * propose returns Go's context error, which reaches the client as an unknown error.
   */
  PROPOSAL_DEADLINE_EXCEEDED(Status.Code.UNKNOWN, "context deadline exceeded"),

  // v3election and v3lock answer their recipes' plain errors, which gRPC reports as unknown.
  ELECTION_NOT_LEADER(Status.Code.UNKNOWN, "election: not leader"),
  ELECTION_NO_LEADER(Status.Code.UNKNOWN, "election: no leader"),
  MISSING_LEADER_KEY(Status.Code.UNKNOWN, "\"leader\" field must be provided"),

  NOT_CAPABLE(Status.Code.UNAVAILABLE, "etcdserver: not capable"),

  AUTH_NOT_ENABLED(Status.Code.FAILED_PRECONDITION, "etcdserver: authentication is not enabled"),
  ROOT_USER_NOT_EXIST(Status.Code.FAILED_PRECONDITION, "etcdserver: root user does not exist"),
  USER_EMPTY(Status.Code.INVALID_ARGUMENT, "etcdserver: user name is empty"),
  ROLE_EMPTY(Status.Code.INVALID_ARGUMENT, "etcdserver: role name is empty"),
  USER_NOT_FOUND(Status.Code.FAILED_PRECONDITION, "etcdserver: user name not found"),
  ROLE_NOT_FOUND(Status.Code.FAILED_PRECONDITION, "etcdserver: role name not found"),
  /** Keel's own: the auth store cannot hold users or roles yet (see README). */
  AUTH_CHANGES_UNSUPPORTED(Status.Code.UNIMPLEMENTED,
      "keel: adding users and roles is not supported yet, so auth stays off"),

  /**
   * Watch create failures (etcd's {@code mvcc/watcher.go}): never a gRPC status, sent as the
   * cancel_reason of a created and canceled WatchResponse with watch_id -1.
   */
  WATCHER_DUPLICATE_ID(Status.Code.INVALID_ARGUMENT, "mvcc: duplicate watch ID provided on the WatchStream"),
  WATCHER_EMPTY_RANGE(Status.Code.INVALID_ARGUMENT, "mvcc: watcher range is empty"),
  /** The unexpected: logged once with its stack where it happens. */
  UNKNOWN(Status.Code.UNKNOWN, "etcdserver: unknown error");

  private final Status.Code code;
  private final String message;

  EtcdError(Status.Code code, String message) {
    this.code = code;
    this.message = message;
  }

  public Status.Code code() {
    return code;
  }

  public String message() {
    return message;
  }

  /** The gRPC status a client sees: etcd's code with etcd's text as the description. */
  public Status status() {
    return Status.fromCode(code).withDescription(message);
  }

  public EtcdException toException() {
    return new EtcdException(this);
  }
}
