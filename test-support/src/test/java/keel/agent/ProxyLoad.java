package keel.agent;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Clients that keep asking every node's proxy for the gated process's page, one fresh connection
 * per request, and remember every outcome with the phase of the scenario it fell in. A node that
 * the scenario has taken down is skipped (its proxy is down with it, as a dead container's port).
 */
final class ProxyLoad implements AutoCloseable {
  /** One request through {@code proxyNode}'s proxy; {@code servedBy} is empty when it failed. */
  record Outcome(String phase, String proxyNode, long sentNanos, long receivedNanos, boolean ok,
      String servedBy, long servedNanos, String error) {}

  private final Map<String, InetSocketAddress> proxies;
  private final Set<String> down = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile String phase = "steady";
  private volatile boolean stopped;

  ProxyLoad(Map<String, InetSocketAddress> proxies) {
    this.proxies = Map.copyOf(proxies);
  }

  void start() {
    proxies.forEach((node, address) -> {
      Thread t = new Thread(() -> run(node, address), "proxy-load-" + node);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    });
  }

  void phase(String name) {
    phase = name;
  }

  void down(String node) {
    down.add(node);
  }

  void up(String node) {
    down.remove(node);
  }

  List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  long count(String phaseName, boolean ok) {
    return outcomes.stream().filter(o -> o.phase().equals(phaseName) && o.ok() == ok).count();
  }

  private void run(String node, InetSocketAddress address) {
    while (!stopped) {
      if (!down.contains(node)) {
        String current = phase;
        long sent = System.nanoTime();
        try {
          ProxyProbe.Response r = ProxyProbe.get(address, "/", 2000);
          String servedBy = r.header("X-Keel-Node");
          String nanos = r.header("X-Keel-Served-Nanos");
          boolean ok = r.status() == 200 && !servedBy.isEmpty();
          outcomes.add(new Outcome(current, node, r.sentNanos(), r.receivedNanos(), ok, servedBy,
              nanos.isEmpty() ? 0 : Long.parseLong(nanos), ok ? "" : "HTTP " + r.status()));
        } catch (Exception e) {
          outcomes.add(new Outcome(current, node, sent, System.nanoTime(), false, "", 0, e.toString()));
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // the clients' pace
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    for (Thread t : threads) {
      t.join(5000);
    }
  }
}
