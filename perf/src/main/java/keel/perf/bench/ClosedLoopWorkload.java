package keel.perf.bench;

import io.etcd.jetcd.Client;

/**
 * A workload of independent requests: {@link #send} builds request {@code n}, a {@link ClosedLoop}
 * of {@code --clients} sends them, client {@code c} over connection {@code c % conns}.
 */
abstract class ClosedLoopWorkload implements Workload {
  final Load load;

  ClosedLoopWorkload(Load load) {
    this.load = load;
  }

  /** Request {@code n} from client {@code clientIndex}, sent over {@code client}. */
  abstract Request send(Client client, int clientIndex, long n);

  @Override
  public final void run(Connections conns, Stats stats) throws InterruptedException {
    new ClosedLoop(load, (c, n) -> send(conns.forClient(c), c, n), stats).run();
  }
}
