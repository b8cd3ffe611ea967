package keel.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.command.LeaseExpiry;
import keel.server.errors.EtcdError;
import keel.server.lease.Lessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ApplierLeaseTest {
  /** The term of every entry these tests apply, unless one says otherwise. */
  private static final long TERM = 4;
  private final Applier applier = new Applier(new Applier.Settings(2));
  private long index;

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private CommandResult apply(Command command) {
    return applier.apply(++index, TERM, command);
  }

  private CommandResult grant(long id, long ttl) {
    return apply(Command.newBuilder().setLeaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl)).build());
  }

  private CommandResult revoke(long id) {
    return apply(Command.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)).build());
  }

  private CommandResult put(String key, long lease) {
    return apply(Command.newBuilder().setPut(PutRequest.newBuilder().setKey(bs(key)).setValue(bs("v")).setLease(lease)).build());
  }

  private List<KeyValue> all() {
    return applier.store().range(RangeRequest.newBuilder().setKey(ByteString.copyFrom(new byte[] {0}))
        .setRangeEnd(ByteString.copyFrom(new byte[] {0})).build()).getKvsList();
  }

  private List<ByteString> keysOf(long lease) {
    return applier.lessor().lookup(lease).orElseThrow().keys();
  }

  @Test
  void grantAnswersIdAndRaisedTtlAtTheCurrentRevision() {
    CommandResult r = grant(7, 1);
    assertThat(r.getLeaseGrant().getID()).isEqualTo(7);
    assertThat(r.getLeaseGrant().getTTL()).isEqualTo(2);
    assertThat(r.getLeaseGrant().getHeader().getRevision()).isEqualTo(1);
    assertThat(grant(7, 5).getError()).isEqualTo(EtcdError.LEASE_EXIST.name());
    assertThat(grant(8, 9_000_000_001L).getError()).isEqualTo(EtcdError.LEASE_TTL_TOO_LARGE.name());
  }

  @Test
  void putWithAnUnknownLeaseFailsAndChangesNothing() {
    assertThat(put("a", 7).getError()).isEqualTo(EtcdError.LEASE_NOT_FOUND.name());
    assertThat(applier.store().currentRevision()).isEqualTo(1);
  }

  @Test
  void revokeDeletesEveryAttachedKeyInOneRevision() {
    grant(7, 10);
    put("b", 7);
    put("a", 7);
    put("c", 7);
    put("other", 0);
    assertThat(applier.store().currentRevision()).isEqualTo(5);
    assertThat(keysOf(7)).containsExactly(bs("a"), bs("b"), bs("c"));

    CommandResult r = revoke(7);
    assertThat(r.hasLeaseRevoke()).isTrue();
    assertThat(r.getLeaseRevoke().getHeader().getRevision()).isEqualTo(6);
    assertThat(applier.store().currentRevision()).as("three deletes, one revision").isEqualTo(6);
    assertThat(all()).extracting(KeyValue::getKey).containsExactly(bs("other"));
    assertThat(applier.lessor().exists(7)).isFalse();
    assertThat(revoke(7).getError()).isEqualTo(EtcdError.LEASE_NOT_FOUND.name());
  }

  @Test
  void anExpiryInAnEntryOfItsLeadersTermRevokesTheLeaseAndItsKeys() {
    grant(7, 10);
    put("a", 7);
    CommandResult r = applier.apply(++index, TERM, expiry(7, TERM));
    assertThat(r.getLeaseRevoke().getHeader().getRevision()).isEqualTo(3);
    assertThat(applier.lessor().lookup(7)).isEmpty();
    assertThat(all()).isEmpty();
  }

  /**
   * A deposed leader woken from a pause proposes expiries on its stale clocks; retried through its
   * successor they land in an entry of a later term, and must change nothing.
   */
  @Test
  void anExpiryInAnEntryOfALaterTermLeavesTheLeaseAndItsKeys() {
    grant(7, 10);
    put("a", 7);
    CommandResult r = applier.apply(++index, TERM + 1, expiry(7, TERM));
    assertThat(r.getError()).isEqualTo(EtcdError.NOT_LEADER.name());
    assertThat(applier.lessor().lookup(7)).isPresent();
    assertThat(all()).extracting(KeyValue::getKey).containsExactly(bs("a"));
    assertThat(applier.store().currentRevision()).isEqualTo(2);
  }

  private static Command expiry(long lease, long term) {
    return Command.newBuilder().setLeaseExpiry(LeaseExpiry.newBuilder().setId(lease).setTerm(term)).build();
  }

  @Test
  void revokeOfALeaseWithoutKeysKeepsTheRevision() {
    grant(7, 10);
    assertThat(revoke(7).getLeaseRevoke().getHeader().getRevision()).isEqualTo(1);
  }

  @Test
  void overwriteAndDeleteDetachKeysAndAPutMovesAKeyBetweenLeases() {
    grant(7, 10);
    grant(8, 10);
    put("a", 7);
    put("b", 7);
    put("c", 7);
    put("a", 8);   // moves to lease 8
    put("b", 0);   // overwrite without a lease detaches
    apply(Command.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bs("c"))).build());
    assertThat(keysOf(7)).isEmpty();
    assertThat(keysOf(8)).containsExactly(bs("a"));

    apply(Command.newBuilder().setTxn(TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("t")).setLease(7)))
        .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(bs("a")))))
        .build());
    assertThat(keysOf(7)).containsExactly(bs("t"));
    assertThat(keysOf(8)).isEmpty();

    revoke(7);
    assertThat(all()).extracting(KeyValue::getKey).containsExactly(bs("b"));
    assertThat(all().get(0).getLease()).isZero();
  }

  @Test
  void snapshotCarriesLeasesAndAttachments() throws IOException {
    grant(7, 10);
    put("a", 7);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    applier.writeTo(out);
    Applier read = Applier.readFrom(new ByteArrayInputStream(out.toByteArray()), new Applier.Settings(2),
        Lessor.Listener.NONE, keel.server.watch.EventSink.NONE, Applier.newV2Store(1, Runnable::run));
    assertThat(read.lessor().lookup(7).orElseThrow().keys()).containsExactly(bs("a"));
    assertThat(read.apply(10, TERM, Command.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(7)).build())
        .getLeaseRevoke().getHeader().getRevision()).isEqualTo(3);
    assertThat(read.store().range(RangeRequest.newBuilder().setKey(bs("a")).build()).getCount()).isZero();
  }
}
