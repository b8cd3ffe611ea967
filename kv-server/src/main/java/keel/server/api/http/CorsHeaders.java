package keel.server.api.http;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;

/**
 * etcd 3.4's CORS handling of its plain HTTP answers ({@code --cors} left at its default, any
 * origin): every answer carries the three Access-Control headers and an OPTIONS request is
 * answered at once with them and no body, whatever the path. gRPC requests pass untouched.
 */
final class CorsHeaders {
  private CorsHeaders() {}

  static HttpResponse serve(HttpService delegate, ServiceRequestContext ctx, HttpRequest req) throws Exception {
    MediaType type = req.contentType();
    if (type != null && type.subtype().startsWith("grpc")) {
      return delegate.serve(ctx, req);
    }
    ctx.addAdditionalResponseHeader("access-control-allow-headers", "accept, content-type, authorization");
    ctx.addAdditionalResponseHeader("access-control-allow-methods", "POST, GET, OPTIONS, PUT, DELETE");
    ctx.addAdditionalResponseHeader("access-control-allow-origin", "*");
    if (req.method() == HttpMethod.OPTIONS) {
      return HttpResponse.of(ResponseHeaders.of(HttpStatus.OK), HttpData.empty());
    }
    return delegate.serve(ctx, req);
  }
}
