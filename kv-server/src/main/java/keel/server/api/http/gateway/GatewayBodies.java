package keel.server.api.http.gateway;

import keel.server.api.http.GoQuote;
import io.grpc.Status;

/**
 * The envelopes etcd 3.4.23's gateway (grpc-gateway 1.9) wraps around messages and errors, and the
 * HTTP status it gives each gRPC code. Observed on Debian's etcd 3.4.23:
 *
 * <pre>
 *   unary error      400 {"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}
 *   stream message   {"result":{...}} and a newline, per message
 *   stream error     {"error":{"grpc_code":5,"http_code":404,"message":"...","http_status":"Not Found"}}
 * </pre>
 *
 * Empty members are left out, as jsonpb leaves out zero values ({@code {"code":2}} for an
 * unknown error without text).
 */
final class GatewayBodies {
  private GatewayBodies() {}

  /**
   * grpc-gateway's HTTPStatusFromCode as built into Debian's etcd 3.4.23. Note FAILED_PRECONDITION
   * is 412 there ("etcdserver: lease already exists" answers 412), where later grpc-gateway
   * versions answer 400.
   */
  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 408;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case UNAUTHENTICATED -> 401;
      case RESOURCE_EXHAUSTED -> 429;
      case FAILED_PRECONDITION -> 412;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
    };
  }

  /** Go's http.StatusText for the statuses above. */
  static String statusText(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 412 -> "Precondition Failed";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "";
    };
  }

  /** A unary call's error body. */
  static String error(Status.Code code, String message) {
    StringBuilder out = new StringBuilder("{");
    if (message != null && !message.isEmpty()) {
      out.append("\"error\":");
      GoQuote.appendJsonString(out, message);
      out.append(",\"message\":");
      GoQuote.appendJsonString(out, message);
    }
    if (code.value() != 0) {
      out.append(out.length() > 1 ? "," : "").append("\"code\":").append(code.value());
    }
    return out.append('}').toString();
  }

  /** One message of a stream, with the newline that delimits it. */
  static String result(String messageJson) {
    return "{\"result\":" + messageJson + "}\n";
  }

  /** The last chunk of a stream that failed (no newline after it, as grpc-gateway writes it). */
  static String streamError(Status.Code code, String message) {
    int status = httpStatus(code);
    StringBuilder out = new StringBuilder("{\"error\":{");
    out.append("\"grpc_code\":").append(code.value());
    out.append(",\"http_code\":").append(status);
    if (message != null && !message.isEmpty()) {
      out.append(",\"message\":");
      GoQuote.appendJsonString(out, message);
    }
    out.append(",\"http_status\":");
    GoQuote.appendJsonString(out, statusText(status));
    return out.append("}}").toString();
  }
}
