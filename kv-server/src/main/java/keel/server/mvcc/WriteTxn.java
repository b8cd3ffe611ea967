package keel.server.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * One write transaction on the index, etcd's {@code storeTxnWrite}: every change gets main
 * revision {@code beginRev + 1} and the next sub revision; reads see the changes made so far, at
 * revision {@code beginRev + 1} once something changed and {@code beginRev} before. The store
 * bumps its current revision when the transaction changed something ({@link #changed()}).
 *
 * <p>Changes go straight into the index; {@link #rollback()} takes them out again if a later
 * step fails, so a failed request leaves the store as it found it.
 *
 * <p>Its {@link #tally()} counts the ranges, puts and deletes it runs as etcd's
 * {@code metricsTxnWrite} does: a put or delete with {@code prev_kv} (and a put with
 * {@code ignore_value} or {@code ignore_lease}) reads the key first, which is a range too.
 */
final class WriteTxn {
  private final KeyIndex index;
  private final long beginRev;
  private final long compactRev;
  private final List<Event> events = new ArrayList<>();
  private final Set<ByteString> changedKeys = new LinkedHashSet<>();
  private final TxnTally tally = new TxnTally();

  WriteTxn(KeyIndex index, long beginRev, long compactRev) {
    this.index = index;
    this.beginRev = beginRev;
    this.compactRev = compactRev;
  }

  /** The revision this transaction reads at, as etcd's {@code storeTxnWrite.Range}. */
  long viewRev() {
    return events.isEmpty() ? beginRev : beginRev + 1;
  }

  boolean changed() {
    return !events.isEmpty();
  }

  /** The revision to report for this transaction: the new one if it changed anything. */
  long headerRev() {
    return viewRev();
  }

  List<Event> events() {
    return events;
  }

  /** The ranges, puts and deletes run so far, for {@link MvccCounters}. */
  TxnTally tally() {
    return tally;
  }

  RangeResponse range(RangeRequest r) {
    tally.ranges++;
    return RangeQuery.execute(index, r, viewRev(), compactRev);
  }

  /**
   * etcd's applierV3backend.Put inside a write txn (lease existence and the request's shape are
   * checked by the caller, before the transaction starts).
   */
  PutResponse put(PutRequest p) {
    if (p.getPrevKv() || p.getIgnoreValue() || p.getIgnoreLease()) {
      tally.ranges++; // etcd reads the previous kv with a range
    }
    KeyValue prev = index.get(p.getKey(), viewRev());
    if ((p.getIgnoreValue() || p.getIgnoreLease()) && prev == null) {
      throw new EtcdException(EtcdError.KEY_NOT_FOUND);
    }
    ByteString value = p.getIgnoreValue() ? prev.getValue() : p.getValue();
    long lease = p.getIgnoreLease() ? prev.getLease() : p.getLease();
    long rev = beginRev + 1;
    KeyValue kv = KeyValue.newBuilder()
        .setKey(p.getKey())
        .setValue(value)
        .setCreateRevision(prev == null ? rev : prev.getCreateRevision())
        .setModRevision(rev)
        .setVersion(prev == null ? 1 : prev.getVersion() + 1)
        .setLease(lease)
        .build();
    index.put(rev, events.size(), kv);
    changedKeys.add(kv.getKey());
    tally.puts++;
    tally.putBytes += kv.getKey().size() + value.size();
    Event.Builder event = Event.newBuilder().setType(Event.EventType.PUT).setKv(kv);
    if (prev != null) {
      event.setPrevKv(prev);
    }
    events.add(event.build());

    PutResponse.Builder resp = PutResponse.newBuilder();
    if (p.getPrevKv() && prev != null) {
      resp.setPrevKv(prev);
    }
    return resp.build();
  }

  /** etcd's applierV3backend.DeleteRange: live keys in key order, one sub revision each. */
  DeleteRangeResponse deleteRange(DeleteRangeRequest d) {
    if (d.getPrevKv()) {
      tally.ranges++; // etcd reads the previous kvs with a range
    }
    tally.deletes++;
    List<KeyValue> live = index.range(KeyRange.of(d.getKey(), d.getRangeEnd()), viewRev());
    long rev = beginRev + 1;
    for (KeyValue prev : live) {
      index.tombstone(rev, events.size(), prev.getKey());
      changedKeys.add(prev.getKey());
      KeyValue deleted = KeyValue.newBuilder().setKey(prev.getKey()).setModRevision(rev).build();
      events.add(Event.newBuilder()
          .setType(Event.EventType.DELETE).setKv(deleted).setPrevKv(prev).build());
    }
    DeleteRangeResponse.Builder resp = DeleteRangeResponse.newBuilder().setDeleted(live.size());
    if (d.getPrevKv()) {
      resp.addAllPrevKvs(live);
    }
    return resp.build();
  }

  /** Takes every change of this transaction out of the index again. */
  void rollback() {
    index.rollback(beginRev + 1, changedKeys);
    events.clear();
    changedKeys.clear();
  }
}
