package keel.server.api.http;

import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import keel.server.cli.EtcdUrls;

/**
 * etcd's {@code --listen-metrics-urls}: listeners of their own that serve {@code GET /metrics} and
 * {@code GET /health} only, for a scraper or a probe that should not reach the client port. As on
 * etcd, no CORS there (OPTIONS is a 405) and every other path is Go's 404.
 */
public final class MetricsListener {
  private MetricsListener() {}

  /** Starts listening on every URL; the caller stops the returned server. */
  public static Server start(List<URI> urls, HttpRoutes routes, MetricsRoute metrics) {
    ServerBuilder builder = GoHeaderLimits.apply(Server.builder())
        .requestTimeout(Duration.ZERO)
        .gracefulShutdownTimeout(Duration.ZERO, Duration.ofMillis(500));
    builder.decorator(GoPathRedirect::serve);
    builder.errorHandler(new GoNotFound());
    builder.route().path("/health").build(HttpRoutes.only(routes::health, "GET"));
    metrics.addTo(builder);
    for (URI url : urls) {
      builder.port(new InetSocketAddress(EtcdUrls.host(url), EtcdUrls.port(url)), SessionProtocol.HTTP);
    }
    Server server = builder.build();
    server.start().join();
    return server;
  }
}
