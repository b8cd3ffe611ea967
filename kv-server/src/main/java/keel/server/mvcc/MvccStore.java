package keel.server.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.HashResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * The v3 key-value store: an in-memory MVCC store with etcd 3.4's semantics, operating on etcd's
 * own request and response messages.
 *
 * <p>Revisions: a fresh store is at revision 1 (as etcd); every write request that changes
 * something takes the next main revision, its changes numbered by sub revision. Requests that
 * change nothing (a delete of nothing, a txn taking a read-only branch) leave the revision alone.
 * Compaction keeps the revision and sets {@link #compactRevision()}.
 *
 * <p>Errors are thrown as {@link EtcdException} before the store changes: a failed request
 * leaves state and revision as they were. Apply code turns them into data.
 *
 * <p>Counts what it does in the member's {@link MvccCounters} as etcd's MVCC store counts its
 * transactions: a range request is one range; a put, a delete and a txn one write transaction
 * each (a txn that writes also one read transaction for its compares, before it); a compaction
 * one range (etcd's answer reads the current revision with a range) and the revisions it removed.
 *
 * <p>Threads: writes come from the Raft apply thread only and must be deterministic (they are a
 * function of the store and the request); reads ({@link #range}, the revision getters,
 * {@link #sizeBytes}, {@link #writeTo}) may come from any thread.
 */
public final class MvccStore {
  /**
   * Guards every field below. Writers hold the write lock for a whole request, so a reader never
   * sees half a transaction; readers hold the read lock. Nothing else is locked while holding it.
   */
  private final ReadWriteLock lock = new ReentrantReadWriteLock();

  private final KeyIndex index;
  private long currentRev;
  /** etcd's compactMainRev: -1 until the first compaction. */
  private long compactRev;
  /**
   * etcd's capped applier: while a NOSPACE alarm is raised, writes that could grow the store fail
   * with NO_SPACE. Set from the log (the alarm's apply), so alike on every member.
   */
  private boolean capped;
  /**
   * The size before the last compaction, until a defragment: etcd's db file keeps the pages a
   * compaction freed until it is defragmented, and its reported size (and quota) follow the file.
   * This member's own, as etcd's defragment is (never from the log, never in a snapshot).
   */
  private long sizeBeforeDefrag;
  /** The member's, handed on to the store that replaces this one; adding is lock-free. */
  private final MvccCounters counters;

  /** An empty store at revision 1, never compacted, counting into counters of its own. */
  public MvccStore() {
    this(new MvccCounters());
  }

  /** An empty store at revision 1, never compacted, counting into {@code counters}. */
  public MvccStore(MvccCounters counters) {
    this(new KeyIndex(), 1, -1, counters);
  }

  MvccStore(KeyIndex index, long currentRev, long compactRev, MvccCounters counters) {
    this.index = index;
    this.currentRev = currentRev;
    this.compactRev = compactRev;
    this.counters = counters;
  }

  /** What this store (and the stores it replaced) did, for etcd's MVCC counters. */
  public MvccCounters counters() {
    return counters;
  }

  public long currentRevision() {
    lock.readLock().lock();
    try {
      return currentRev;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The revision of the last compaction (etcd's compactMainRev), -1 when never compacted. */
  public long compactRevision() {
    lock.readLock().lock();
    try {
      return compactRev;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Approximate storage size for the quota: key and value bytes of every retained revision
   * (tombstones included) plus {@value KeyHistory#REVISION_OVERHEAD} bytes per revision.
   */
  public long sizeBytes() {
    lock.readLock().lock();
    try {
      return index.sizeBytes();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * What etcd reports as dbSize, and checks its quota against: {@link #sizeBytes} or, when a
   * compaction freed space since the last {@link #defragment}, the size before it.
   */
  public long dbSizeBytes() {
    lock.readLock().lock();
    try {
      return Math.max(sizeBeforeDefrag, index.sizeBytes());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** etcd's Defragment of this member's store: the space compactions freed stops counting. */
  public void defragment() {
    lock.writeLock().lock();
    try {
      sizeBeforeDefrag = 0;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Caps (or uncaps) writes that could grow the store: see {@link #capped}. Apply thread only. */
  public void setCapped(boolean capped) {
    lock.writeLock().lock();
    try {
      this.capped = capped;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** How many keys exist (have a value) at the current revision. */
  public long liveKeys() {
    lock.readLock().lock();
    try {
      return index.liveKeys();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * A serializable range. The response header holds only the revision: the current one, not the
   * one read at, as etcd reports it.
   *
   * @throws EtcdException EMPTY_KEY, FUTURE_REV, COMPACTED
   */
  public RangeResponse range(RangeRequest r) {
    requireKey(r.getKey());
    // etcd counts the range even when it fails (a compacted or future revision)
    counters.ranged();
    lock.readLock().lock();
    try {
      // The header carries the revision current at the read, under the same lock.
      return RangeQuery.execute(index, r, currentRev, compactRev).toBuilder()
          .setHeader(io.etcd.jetcd.api.ResponseHeader.newBuilder().setRevision(currentRev))
          .build();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * etcd's HashKV: {@link BackendHash} at {@code revision} (0: the current one), answered with the
   * current revision in the header and the compact revision (-1 when never compacted), as etcd.
   *
   * @throws EtcdException COMPACTED at or below the compact revision, FUTURE_REV above the current
   */
  public HashKVResponse hashKv(long revision) {
    lock.readLock().lock();
    try {
      if (revision > 0 && revision <= compactRev) {
        throw new EtcdException(EtcdError.COMPACTED);
      }
      if (revision > currentRev) {
        throw new EtcdException(EtcdError.FUTURE_REV);
      }
      return HashKVResponse.newBuilder()
          .setHeader(io.etcd.jetcd.api.ResponseHeader.newBuilder().setRevision(currentRev))
          .setHash(BackendHash.hashKv(index, revision == 0 ? currentRev : revision, compactRev))
          .setCompactRevision(compactRev)
          .build();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * etcd's Hash, over every retained revision of the key space. etcd hashes its whole backend
   * file, which Keel does not have: members of one Keel cluster agree on this number, an etcd
   * cluster does not.
   */
  public HashResponse hash() {
    lock.readLock().lock();
    try {
      return HashResponse.newBuilder()
          .setHeader(io.etcd.jetcd.api.ResponseHeader.newBuilder().setRevision(currentRev))
          .setHash(BackendHash.hashKv(index, currentRev, -1))
          .build();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * History for watchers catching up (etcd's syncWatchers reading the backend by revision): the
   * events of keys in {@code key}/{@code rangeEnd} (the same rules as Range, see {@link KeyRange})
   * with main revision from {@code fromRev} up to {@code toRev} (capped at the current revision),
   * in revision then sub-revision order, with prev_kv when the previous version is retained. At
   * most about {@code limit} events: the page ends before a main revision, never inside one, and
   * {@link EventPage#nextRevision()} says where to go on.
   *
   * <p>COMPACTED when {@code fromRev} is below the compact revision. Reading from exactly the
   * compact revision works, as in etcd ({@code watcherGroup.chooseAll} cancels a watcher only when
   * its {@code minRev < compactRev}): compaction keeps each key's version at that revision, except
   * a delete at exactly that revision, which etcd's compaction removes from its backend.
   *
   * @throws EtcdException COMPACTED
   */
  public EventPage events(ByteString key, ByteString rangeEnd, long fromRev, long toRev, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    lock.readLock().lock();
    try {
      if (compactRev > 0 && fromRev < compactRev) {
        throw new EtcdException(EtcdError.COMPACTED);
      }
      long from = Math.max(fromRev, 1);
      return index.events(KeyRange.of(key, rangeEnd), from, Math.min(toRev, currentRev), limit, compactRev);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * etcd's Put. Checks, in etcd's order: NO_SPACE (a NOSPACE alarm is raised), EMPTY_KEY, VALUE_PROVIDED,
   * LEASE_PROVIDED (the door's checks), LEASE_NOT_FOUND, KEY_NOT_FOUND (ignore_value or
   * ignore_lease on a missing key).
   */
  public WriteResult<PutResponse> put(PutRequest p, LeaseLookup leases) {
    return write(tx -> {
      checkQuota();
      TxnValidator.checkPut(p);
      if (p.getLease() != 0 && !leases.exists(p.getLease())) {
        throw new EtcdException(EtcdError.LEASE_NOT_FOUND);
      }
      return tx.put(p);
    });
  }

  /** etcd's DeleteRange; deleting nothing keeps the revision. EMPTY_KEY for an empty key. */
  public WriteResult<DeleteRangeResponse> deleteRange(DeleteRangeRequest d) {
    return write(tx -> {
      requireKey(d.getKey());
      return tx.deleteRange(d);
    });
  }

  /**
   * A txn whose every op is a range ({@link TxnValidator#isReadOnly}), as etcd answers it without
   * the log: it changes nothing, so it runs under the read lock beside other reads, and its header
   * holds the current revision.
   *
   * @throws IllegalArgumentException when {@code r} would write
   * @throws EtcdException as {@link #txn}
   */
  public TxnResponse readOnlyTxn(TxnRequest r) {
    if (!TxnValidator.isReadOnly(r)) {
      throw new IllegalArgumentException("a txn that writes goes through the log");
    }
    TxnValidator.validate(r, Integer.MAX_VALUE);
    lock.readLock().lock();
    WriteTxn tx = new WriteTxn(index, currentRev, compactRev);
    try {
      // etcd runs a read-only txn in one read transaction: compares and ranges count together
      TxnApplier.Path path = TxnApplier.decide(index, currentRev, r, tx.tally());
      TxnApplier.check(index, currentRev, compactRev, r, path, LeaseLookup.NONE, tx.tally());
      return TxnApplier.apply(tx, r, path).toBuilder()
          .setHeader(io.etcd.jetcd.api.ResponseHeader.newBuilder().setRevision(currentRev))
          .build();
    } finally {
      lock.readLock().unlock();
      tx.tally().endTo(counters);
    }
  }

  /**
   * etcd's Txn; see {@link TxnApplier} for the order of evaluation. NO_SPACE while a NOSPACE alarm is
   * raised and a branch holds a put; then the door's checks ({@link TxnValidator#validate}, without an op
   * limit); then KEY_NOT_FOUND, LEASE_NOT_FOUND, FUTURE_REV, COMPACTED from the chosen branches.
   */
  public WriteResult<TxnResponse> txn(TxnRequest r, LeaseLookup leases) {
    return write(tx -> {
      if (TxnApplier.canGrow(r)) {
        checkQuota();
      }
      TxnValidator.validate(r, Integer.MAX_VALUE);
      // etcd reads the compares of a txn that writes in a read transaction ended before the write
      // transaction begins; a txn that only reads runs in one
      TxnTally reads = TxnValidator.isReadOnly(r) ? tx.tally() : new TxnTally();
      TxnApplier.Path path;
      try {
        path = TxnApplier.decide(index, currentRev, r, reads);
        TxnApplier.check(index, currentRev, compactRev, r, path, leases, reads);
      } finally {
        if (reads != tx.tally()) {
          reads.endTo(counters);
        }
      }
      return TxnApplier.apply(tx, r, path);
    });
  }

  /**
   * etcd's Compact: COMPACTED when {@code revision <= compactRevision()}, FUTURE_REV when above
   * the current revision; otherwise reads below {@code revision} fail with COMPACTED from now on
   * and each key keeps its newest version at or below it. Reports the current revision.
   */
  public WriteResult<CompactionResponse> compact(CompactionRequest c) {
    lock.writeLock().lock();
    try {
      long rev = c.getRevision();
      if (rev <= compactRev) {
        throw new EtcdException(EtcdError.COMPACTED);
      }
      if (rev > currentRev) {
        throw new EtcdException(EtcdError.FUTURE_REV);
      }
      long heldBefore = index.backendRevisions(compactRev);
      compactRev = rev;
      sizeBeforeDefrag = Math.max(sizeBeforeDefrag, index.sizeBytes());
      index.compact(rev);
      counters.compacted(heldBefore - index.backendRevisions(rev));
      // etcd's Compaction reads the current revision for its answer with a range, which counts
      counters.ranged();
      return new WriteResult<>(CompactionResponse.getDefaultInstance(), currentRev, List.of());
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Writes a snapshot of everything: all retained history, current and compact revision. */
  public void writeTo(OutputStream out) throws IOException {
    capture().writeTo(out);
  }

  /** The store as of now, to write later ({@link MvccSnapshot.Image#writeTo}) while it moves on. */
  public MvccSnapshot.Image capture() {
    lock.readLock().lock();
    try {
      return MvccSnapshot.capture(index, currentRev, compactRev);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Reads a store written by {@link #writeTo}, counting into counters of its own. */
  public static MvccStore readFrom(InputStream in) throws IOException {
    return readFrom(in, new MvccCounters());
  }

  /** Reads a store written by {@link #writeTo} that goes on counting into {@code counters}. */
  public static MvccStore readFrom(InputStream in, MvccCounters counters) throws IOException {
    return MvccSnapshot.read(in, counters);
  }

  /** One write transaction under the write lock; the revision moves only if it changed things. */
  private <T> WriteResult<T> write(Function<WriteTxn, T> body) {
    lock.writeLock().lock();
    try {
      WriteTxn tx = new WriteTxn(index, currentRev, compactRev);
      T response;
      try {
        response = body.apply(tx);
      } catch (RuntimeException e) {
        tx.rollback();
        throw e;
      } finally {
        // etcd ends (and counts) its write transaction whether the request failed in it or not
        tx.tally().endTo(counters);
      }
      long revision = tx.headerRev();
      if (tx.changed()) {
        currentRev++;
      }
      return new WriteResult<>(response, revision, tx.events());
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** etcd's capped applier: no write that could grow the store while NOSPACE is raised. */
  private void checkQuota() {
    if (capped) {
      throw new EtcdException(EtcdError.NO_SPACE);
    }
  }

  private static void requireKey(ByteString key) {
    if (key.isEmpty()) {
      throw new EtcdException(EtcdError.EMPTY_KEY);
    }
  }
}
