package keel.perf.bench;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;

/**
 * {@code range}: one single-key get per request, linearizable or serializable (etcd's {@code
 * benchmark range --consistency l|s}). The key space is written once before the run, so every
 * read finds a value of {@code --val-size} bytes.
 */
final class RangeWorkload extends ClosedLoopWorkload {
  final Keys keys;
  final Consistency consistency;
  private final GetOption option;

  RangeWorkload(Load load, Keys keys, Consistency consistency) {
    super(load);
    this.keys = keys;
    this.consistency = consistency;
    this.option = consistency.getOption();
  }

  @Override
  public String name() {
    return "range";
  }

  @Override
  public String settings() {
    return "consistency " + consistency.flag;
  }

  @Override
  public void prepare(Connections conns) throws InterruptedException {
    KeySpacePreload.write(conns, keys, load.clients());
  }

  @Override
  Request send(Client client, int clientIndex, long n) {
    return new Request("range", client.getKVClient().get(keys.key(keys.indexFor(n)), option));
  }
}
