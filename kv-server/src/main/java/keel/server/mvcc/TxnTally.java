package keel.server.mvcc;

/**
 * What one MVCC transaction ran, as etcd's {@code metricsTxnWrite} tallies it, until it ends and
 * {@link #endTo} hands the tally to the member's {@link MvccCounters}. A write request's
 * {@link WriteTxn} keeps one; a txn request that writes keeps a second for its compares, which
 * etcd reads in a read transaction of their own before the write transaction.
 *
 * <p>One thread: the request's.
 */
final class TxnTally {
  int ranges;
  int puts;
  int deletes;
  long putBytes;

  void endTo(MvccCounters counters) {
    counters.ended(ranges, puts, deletes, putBytes);
  }
}
