package keel.perf.bench;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code --conns} gRPC connections: one jetcd client each, connection {@code i} bound to
 * endpoint {@code i % endpoints} (etcd's benchmark tool dials them round robin the same way), and
 * client (requester) {@code c} on connection {@code c % conns}.
 *
 * <p>jetcd's own retries are off: a benchmark counts a failed request as an error, it does not
 * hide it behind a retry (and its latency behind the back-off), as etcd's tool does not either.
 */
final class Connections implements AutoCloseable {
  private final Target target;
  private final List<Client> clients = new ArrayList<>();

  private Connections(Target target) {
    this.target = target;
  }

  static Connections open(Target target) {
    Connections conns = new Connections(target);
    try {
      for (int i = 0; i < target.conns(); i++) {
        conns.clients.add(Client.builder()
            .endpoints(endpointOf(target, i))
            .connectTimeout(target.dialTimeout())
            .retryMaxAttempts(0)
            .build());
      }
      return conns;
    } catch (RuntimeException e) {
      conns.close();
      throw e;
    }
  }

  private static URI endpointOf(Target target, int conn) {
    return target.endpoints().get(conn % target.endpoints().size());
  }

  /** The connection client {@code clientIndex} sends on. */
  Client forClient(int clientIndex) {
    return clients.get(clientIndex % clients.size());
  }

  /**
   * Asks every endpoint for its status within {@code --dial-timeout}, so that a wrong URL or a
   * stopped server fails the run at once with the endpoint named, instead of hanging or counting
   * a run of errors. Returns the server versions reported, e.g. {@code 3.4.23}.
   */
  String probe() throws InterruptedException {
    Set<String> versions = new TreeSet<>();
    for (int i = 0; i < Math.min(clients.size(), target.endpoints().size()); i++) {
      URI endpoint = endpointOf(target, i);
      dial(endpoint);
      try {
        StatusResponse status = clients.get(i).getMaintenanceClient().statusMember(endpoint.toString())
            .get(target.dialTimeout().toMillis(), TimeUnit.MILLISECONDS);
        versions.add(status.getVersion());
      } catch (TimeoutException e) {
        throw new BenchException("no answer from " + endpoint + " within " + BenchDurations.format(target.dialTimeout())
            + ": something listens there but does not answer etcd's Status call; is it a healthy etcd or Keel"
            + " member? Check --endpoints (or raise --dial-timeout)");
      } catch (ExecutionException e) {
        throw new BenchException("cannot reach " + endpoint + " (" + Stats.describe(e)
            + "): is an etcd or Keel member listening there? Check --endpoints", e);
      }
    }
    return String.join(", ", versions);
  }

  /**
   * A plain TCP connect first: a refused or unroutable address fails here at once with the
   * system's reason, where a gRPC call would wait for the channel until the timeout.
   */
  private void dial(URI endpoint) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()),
          (int) Math.min(Integer.MAX_VALUE, target.dialTimeout().toMillis()));
    } catch (IOException e) {
      throw new BenchException("cannot connect to " + endpoint + " (" + Stats.describe(e)
          + "): is an etcd or Keel member listening there? Check --endpoints", e);
    }
  }

  @Override
  public void close() {
    clients.forEach(Client::close);
  }
}
