package keel.server.api.http;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import keel.server.metrics.ServerMetrics;

/**
 * etcd's {@code /metrics} on the client port (any method, as etcd's): this member's metrics in Prometheus text format
 * 0.0.4, with the content type etcd 3.4 sends. Scraping reads JVM management beans and Raft state,
 * so it runs on the blocking executor, never on the event loop.
 */
public final class MetricsRoute {
  private static final MediaType CONTENT_TYPE = MediaType.parse(ServerMetrics.CONTENT_TYPE);

  private final ServerMetrics metrics;

  public MetricsRoute(ServerMetrics metrics) {
    this.metrics = metrics;
  }

  public void addTo(ServerBuilder builder) {
    // etcd mounts promhttp's handler, which answers every method alike (POST /metrics is a 200 there)
    builder.route().path("/metrics").build((ctx, req) ->
        HttpResponse.of(CompletableFuture.supplyAsync(this::scrape, ctx.blockingTaskExecutor())));
  }

  HttpResponse scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    try {
      metrics.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("a byte array stream does not fail", e);
    }
    return HttpResponse.of(HttpStatus.OK, CONTENT_TYPE, HttpData.wrap(out.toByteArray()));
  }
}
