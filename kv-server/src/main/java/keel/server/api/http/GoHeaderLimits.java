package keel.server.api.http;

import com.linecorp.armeria.server.ServerBuilder;

/**
 * The HTTP/1.1 request-head limits of Go's {@code net/http} server, which etcd 3.4 serves its
 * plain HTTP routes with and leaves at their defaults: up to {@code DefaultMaxHeaderBytes} (1 MiB)
 * plus 4 KiB of slack for the request line and the headers together; more is refused with
 * {@code 431 Request Header Fields Too Large}. Armeria's own defaults are far smaller (a 4 KiB
 * request line, 8 KiB of headers), so a v2 key path of 5 KB, a long query or a 100 KB header that
 * etcd serves would be refused by Keel. Netty counts the request line and the headers apart, so
 * each gets Go's whole budget: a request a little over Go's limit in total may still be served.
 */
public final class GoHeaderLimits {
  /** Go's {@code http.DefaultMaxHeaderBytes} plus the 4096 bytes its reader allows beyond it. */
  public static final int MAX_HEAD_BYTES = (1 << 20) + 4096;

  private GoHeaderLimits() {}

  /** Sets Go's limits on {@code builder}'s HTTP/1.1 decoder; returns the builder. */
  public static ServerBuilder apply(ServerBuilder builder) {
    return builder.http1MaxInitialLineLength(MAX_HEAD_BYTES).http1MaxHeaderSize(MAX_HEAD_BYTES);
  }
}
