package keel.perf.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;

/** {@code put}: one key-value put per request (etcd's {@code benchmark put}). */
final class PutWorkload extends ClosedLoopWorkload {
  final Keys keys;
  private final ByteSequence value;

  PutWorkload(Load load, Keys keys) {
    super(load);
    this.keys = keys;
    this.value = keys.value();
  }

  @Override
  public String name() {
    return "put";
  }

  @Override
  public String settings() {
    return "";
  }

  @Override
  Request send(Client client, int clientIndex, long n) {
    return new Request("put", client.getKVClient().put(keys.key(keys.indexFor(n)), value));
  }
}
