package keel.torture.workload;

import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One jetcd client per member, each bound to that member's client URL only, so a workload chooses
 * which member serves each request (a client of a paused or cut-off member sees that member's
 * faults, not a failover hidden by the client).
 */
public final class Clients implements AutoCloseable {
  private final List<String> urls;
  private final List<Client> clients = new ArrayList<>();

  public Clients(List<String> urls) {
    this.urls = List.copyOf(urls);
    for (String url : urls) {
      clients.add(Client.builder()
          .endpoints(url)
          .connectTimeout(Duration.ofSeconds(1))
          .retryMaxDuration(Duration.ofSeconds(1))
          .build());
    }
  }

  public int size() {
    return urls.size();
  }

  public Client member(int index) {
    return clients.get(index);
  }

  /** {@code host:port} of member {@code index}, as histories record it. */
  public String endpoint(int index) {
    return urls.get(index).replaceFirst("^https?://", "");
  }

  public List<String> urls() {
    return urls;
  }

  @Override
  public void close() {
    clients.forEach(Client::close);
  }
}
