package keel.perf.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;

/**
 * {@code mixed}: reads and puts on one key space, {@code --read-ratio} of the requests reads (0.9
 * by default: the 90/10 mix). The report gives each kind's latency beside the total, so the cost
 * of writes among reads (and of reads waiting behind writes) shows. etcd 3.4's benchmark tool has
 * no such workload. The key space is written once before the run, as for {@code range}.
 */
final class MixedWorkload extends ClosedLoopWorkload {
  final Keys keys;
  final ReadWriteChooser chooser;
  final Consistency consistency;
  private final GetOption option;
  private final ByteSequence value;

  MixedWorkload(Load load, Keys keys, ReadWriteChooser chooser, Consistency consistency) {
    super(load);
    this.keys = keys;
    this.chooser = chooser;
    this.consistency = consistency;
    this.option = consistency.getOption();
    this.value = keys.value();
  }

  @Override
  public String name() {
    return "mixed";
  }

  @Override
  public String settings() {
    return "read ratio " + chooser.readRatio() + ", reads consistency " + consistency.flag;
  }

  @Override
  public void prepare(Connections conns) throws InterruptedException {
    KeySpacePreload.write(conns, keys, load.clients());
  }

  @Override
  Request send(Client client, int clientIndex, long n) {
    ByteSequence key = keys.key(keys.indexFor(n));
    return chooser.isRead(n)
        ? new Request("range", client.getKVClient().get(key, option))
        : new Request("put", client.getKVClient().put(key, value));
  }
}
