package keel.server.api.http;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;

/**
 * A path nobody serves answers as Go's ServeMux does on etcd's client port ("404 page not found",
 * plain text), not with Armeria's own page. gRPC requests and every other status keep Armeria's
 * default rendering.
 */
final class GoNotFound implements ServerErrorHandler {
  @Override
  public HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
    return null;
  }

  @Override
  public AggregatedHttpResponse renderStatus(ServiceRequestContext ctx, ServiceConfig config, RequestHeaders headers,
      HttpStatus status, String description, Throwable cause) {
    // no headers when the request line itself was refused (a protocol violation)
    MediaType type = headers == null ? null : headers.contentType();
    if (status != HttpStatus.NOT_FOUND || (type != null && type.subtype().startsWith("grpc"))) {
      return null;
    }
    return AggregatedHttpResponse.of(ResponseHeaders.builder(HttpStatus.NOT_FOUND)
        .contentType(MediaType.PLAIN_TEXT_UTF_8)
        .add("x-content-type-options", "nosniff")
        .build(), HttpData.ofUtf8("404 page not found\n"));
  }
}
