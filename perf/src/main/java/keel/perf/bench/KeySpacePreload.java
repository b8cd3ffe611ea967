package keel.perf.bench;

/**
 * Writes every key of a key space once before a read workload (not measured), so that reads find
 * values of the configured size, as etcd's docs put the key first before {@code benchmark range}.
 */
final class KeySpacePreload {
  private static final long ANNOUNCE_FROM = 1000;

  private KeySpacePreload() {}

  static void write(Connections conns, Keys keys, int clients) throws InterruptedException {
    if (keys.spaceSize() >= ANNOUNCE_FROM) {
      System.err.println("keel bench: writing the " + keys.spaceSize() + " keys to read first (not measured) ...");
    }
    Keys sequential = new Keys(keys.keySize(), keys.valueSize(), keys.spaceSize(), true);
    Load load = new Load((int) Math.min(clients, keys.spaceSize()), RunLength.ofTotal(keys.spaceSize()), 0);
    Stats stats = new Stats();
    PutWorkload puts = new PutWorkload(load, sequential);
    puts.run(conns, stats);
    Stats.Snapshot done = stats.snapshot();
    if (done.errorCount() > 0) {
      throw new BenchException("writing the " + keys.spaceSize() + " keys to read failed " + done.errorCount()
          + " time(s), e.g. '" + done.errors().keySet().iterator().next() + "'; is the cluster healthy?");
    }
  }
}
