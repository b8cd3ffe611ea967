package keel.perf.bench;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Every workload's flags for where to send the load and how to report it. */
final class TargetOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--endpoints", required = true, split = ",", paramLabel = "URL",
      description = "Client URLs of the cluster, comma-separated (http://host:port; host:port also works).")
  List<String> endpoints;

  @Option(names = "--conns", defaultValue = "1", description = "gRPC connections; clients are spread over them (default ${DEFAULT-VALUE}).")
  int conns;

  @Option(names = "--dial-timeout", defaultValue = "5s", converter = BenchDurations.class, paramLabel = "DURATION",
      description = "How long an endpoint may take to answer before the run gives up (default ${DEFAULT-VALUE}).")
  Duration dialTimeout;

  @Option(names = "--json", description = "Print one JSON object with the results on stdout instead of the report.")
  boolean json;

  @Option(names = "--progress", description = "Print a line a second on stderr: done, rate, p99 so far.")
  boolean progress;

  Target target() {
    if (conns < 1) {
      throw invalid("--conns must be at least 1, was " + conns);
    }
    if (dialTimeout.isZero()) {
      throw invalid("--dial-timeout must be more than 0");
    }
    List<URI> urls = new ArrayList<>();
    for (String endpoint : endpoints) {
      urls.add(url(endpoint.trim()));
    }
    return new Target(urls, conns, dialTimeout, json, progress);
  }

  private URI url(String endpoint) {
    String withScheme = endpoint.contains("://") ? endpoint : "http://" + endpoint;
    URI uri;
    try {
      uri = URI.create(withScheme);
    } catch (IllegalArgumentException e) {
      throw invalid("'" + endpoint + "' in --endpoints is not a URL: use http://host:port");
    }
    if (!"http".equals(uri.getScheme())) {
      throw invalid("'" + endpoint + "' in --endpoints: only http:// endpoints are supported (no TLS settings yet)");
    }
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw invalid("'" + endpoint + "' in --endpoints needs a host and a port, e.g. http://127.0.0.1:2379");
    }
    return URI.create("http://" + uri.getHost() + ":" + uri.getPort());
  }

  private ParameterException invalid(String message) {
    return new ParameterException(command.commandLine(), message);
  }
}
