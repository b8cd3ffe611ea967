package keel.perf.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

/**
 * {@code txn-put}: a transaction of {@code --txn-ops} puts per request, no compares (etcd's {@code
 * benchmark txn-put}). The keys of one transaction are consecutive in the key space, so they differ
 * (etcd refuses a transaction that writes one key twice).
 */
final class TxnPutWorkload extends ClosedLoopWorkload {
  final Keys keys;
  final int txnOps;
  private final ByteSequence value;

  TxnPutWorkload(Load load, Keys keys, int txnOps) {
    super(load);
    if (txnOps < 1 || txnOps > keys.spaceSize()) {
      throw new IllegalArgumentException("txn ops must be 1..key space size, was " + txnOps);
    }
    this.keys = keys;
    this.txnOps = txnOps;
    this.value = keys.value();
  }

  @Override
  public String name() {
    return "txn-put";
  }

  @Override
  public String settings() {
    return txnOps + " put(s) per txn";
  }

  @Override
  Request send(Client client, int clientIndex, long n) {
    long first = keys.indexFor(n * txnOps);
    Op[] puts = new Op[txnOps];
    for (int i = 0; i < txnOps; i++) {
      puts[i] = Op.put(keys.key((first + i) % keys.spaceSize()), value, PutOption.DEFAULT);
    }
    return new Request("txn-put", client.getKVClient().txn().Then(puts).commit());
  }
}
