/**
 * The v3 key-value store: {@link keel.server.mvcc.MvccStore}, an in-memory MVCC store with etcd
 * 3.4's range, put, delete, txn and compaction semantics on etcd's own protobuf messages.
 *
 * <p>Parts: {@link keel.server.mvcc.Revision} (main.sub), {@code KeyHistory} (one key's retained
 * revisions, with a worked example), {@code RevisionRecord} (one revision as one byte array),
 * {@code KeyIndex} (all keys in byte order, size accounting), {@code RevisionLog} (every retained
 * revision in revision order),
 * {@code RangeQuery}, {@code WriteTxn} (one write transaction), {@code TxnApplier} (compares,
 * checks and ops of a TxnRequest), {@code MvccSnapshot} (the snapshot format) and
 * {@link keel.server.mvcc.TxnValidator} (etcd's door checks for txns), and
 * {@link keel.server.mvcc.MvccCounters} with {@code TxnTally} (what the store did, counted as etcd's
 * MVCC transactions count it, for the member's metrics). Imports nothing from Ratis, Armeria, the
 * gRPC services or Prometheus.
 */
package keel.server.mvcc;
