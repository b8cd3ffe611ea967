package keel.server.mvcc;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a member's MVCC store has done since the member started, for etcd's counters of
 * {@code mvcc/metrics.go}: {@code etcd_mvcc_range_total}, {@code put_total}, {@code delete_total},
 * {@code txn_total}, {@code etcd_debugging_mvcc_total_put_size_in_bytes} and
 * {@code etcd_debugging_mvcc_db_compaction_keys_total}. The metrics read them when scraped; the
 * store only adds, so this package needs nothing from Prometheus.
 *
 * <p>etcd counts per MVCC transaction, not per request ({@code mvcc/metrics_txn.go}): each range,
 * put and delete a transaction runs, and, when it ends, one txn if it ran more than one of them.
 * So a put with {@code prev_kv} (a range, then the put) counts a range, a put and a txn, and a txn
 * request that writes counts twice: its compares in one transaction, its ops in another. Keel
 * feeds the same counts: see {@link #ended}.
 *
 * <p>One per member, for its whole life: a store loaded from a snapshot is handed the same one, so
 * the counters never go back. Adding is a {@link LongAdder} increment, safe from any thread.
 */
public final class MvccCounters {
  private final LongAdder ranges = new LongAdder();
  private final LongAdder puts = new LongAdder();
  private final LongAdder deletes = new LongAdder();
  private final LongAdder txns = new LongAdder();
  private final LongAdder putBytes = new LongAdder();
  private final LongAdder compactedRevisions = new LongAdder();

  /**
   * etcd's {@code metricsTxnWrite.End}: one MVCC transaction ran {@code ranges} ranges,
   * {@code puts} puts of {@code putBytes} key and value bytes, and {@code deletes} deletes; it
   * counts as a txn when it ran more than one of them.
   */
  void ended(int ranges, int puts, int deletes, long putBytes) {
    if (ranges + puts + deletes > 1) {
      txns.increment();
    }
    if (ranges > 0) {
      this.ranges.add(ranges);
    }
    if (puts > 0) {
      this.puts.add(puts);
      this.putBytes.add(putBytes);
    }
    if (deletes > 0) {
      this.deletes.add(deletes);
    }
  }

  /** A transaction that ran one range and nothing else: the range request's case. */
  void ranged() {
    ranges.increment();
  }

  /** A compaction removed {@code revisions} revisions from what etcd's backend would hold. */
  void compacted(long revisions) {
    compactedRevisions.add(revisions);
  }

  public long ranges() {
    return ranges.sum();
  }

  public long puts() {
    return puts.sum();
  }

  public long deletes() {
    return deletes.sum();
  }

  public long txns() {
    return txns.sum();
  }

  /** Key and value bytes of every put (etcd's {@code total_put_size_in_bytes}). */
  public long putBytes() {
    return putBytes.sum();
  }

  /** Revisions compactions removed (etcd's {@code db_compaction_keys_total}: backend keys are revisions). */
  public long compactedRevisions() {
    return compactedRevisions.sum();
  }
}
