package keel.server.errors;

/**
 * etcd 3.4's v2 API errors ({@code etcdserver/api/v2error/error.go}): the numeric code, the
 * message byte for byte, and the HTTP status etcd answers with. Codes etcd gives no status
 * answer 400, as etcd does: that includes 104 "Not a directory" and 107 "Root is read only"
 * (checked with curl against etcd 3.4.23: both are {@code 400 Bad Request}).
 *
 * <p>The cause and the X-Etcd-Index travel in a {@link V2Exception}; the JSON body is rendered by
 * {@code keel.server.api.http.V2Json}.
 */
public enum V2Error {
  // command related errors
  KEY_NOT_FOUND(100, "Key not found", 404),
  TEST_FAILED(101, "Compare failed", 412),
  NOT_FILE(102, "Not a file", 403),
  NO_MORE_PEER(103, "Reached the max number of peers in the cluster", 400),
  NOT_DIR(104, "Not a directory", 400),
  NODE_EXIST(105, "Key already exists", 412),
  KEY_IS_PRESERVED(106, "The prefix of given key is a keyword in etcd", 400),
  ROOT_READ_ONLY(107, "Root is read only", 400),
  DIR_NOT_EMPTY(108, "Directory not empty", 403),
  EXISTING_PEER_ADDR(109, "Peer address has existed", 400),
  UNAUTHORIZED(110, "The request requires user authentication", 401),

  // post form related errors
  VALUE_REQUIRED(200, "Value is Required in POST form", 400),
  PREV_VALUE_REQUIRED(201, "PrevValue is Required in POST form", 400),
  TTL_NAN(202, "The given TTL in POST form is not a number", 400),
  INDEX_NAN(203, "The given index in POST form is not a number", 400),
  VALUE_OR_TTL_REQUIRED(204, "Value or TTL is required in POST form", 400),
  TIMEOUT_NAN(205, "The given timeout in POST form is not a number", 400),
  NAME_REQUIRED(206, "Name is required in POST form", 400),
  INDEX_OR_VALUE_REQUIRED(207, "Index or value is required", 400),
  INDEX_VALUE_MUTEX(208, "Index and value cannot both be specified", 400),
  INVALID_FIELD(209, "Invalid field", 400),
  INVALID_FORM(210, "Invalid POST form", 400),
  REFRESH_VALUE(211, "Value provided on refresh", 400),
  REFRESH_TTL_REQUIRED(212, "A TTL must be provided on refresh", 400),

  // raft related errors
  RAFT_INTERNAL(300, "Raft Internal Error", 500),
  LEADER_ELECT(301, "During Leader Election", 500),

  // etcd related errors
  WATCHER_CLEARED(400, "watcher is cleared due to etcd recovery", 400),
  EVENT_INDEX_CLEARED(401, "The event in requested index is outdated and cleared", 400),
  STANDBY_INTERNAL(402, "Standby Internal Error", 400),
  INVALID_ACTIVE_SIZE(403, "Invalid active size", 400),
  INVALID_REMOVE_DELAY(404, "Standby remove delay", 400),

  // client related errors
  CLIENT_INTERNAL(500, "Client Internal Error", 400);

  private final int code;
  private final String message;
  private final int httpStatus;

  V2Error(int code, String message, int httpStatus) {
    this.code = code;
    this.message = message;
    this.httpStatus = httpStatus;
  }

  /** etcd's {@code errorCode}. */
  public int code() {
    return code;
  }

  public String message() {
    return message;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** An error with a cause and the store index to report (etcd's {@code v2error.NewError}). */
  public V2Exception toException(String cause, long index) {
    return new V2Exception(this, cause, index);
  }

  /** A request error, refused before reaching the store: etcd reports index 0 for these. */
  public V2Exception requestError(String cause) {
    return new V2Exception(this, cause, 0);
  }

  public static V2Error ofCode(int code) {
    for (V2Error e : values()) {
      if (e.code == code) {
        return e;
      }
    }
    throw new IllegalArgumentException("no v2 error code " + code);
  }
}
