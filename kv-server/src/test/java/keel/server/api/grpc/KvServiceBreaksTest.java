package keel.server.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import keel.server.TestBreaks;
import keel.server.command.ProposalObserver;
import keel.server.command.Proposer;
import keel.server.command.Validation;
import keel.server.errors.EtcdException;
import keel.server.mvcc.LeaseLookup;
import keel.server.mvcc.MvccStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The KV service's read and put paths with and without the test-only switches: a ReadIndex
 * barrier and a Raft that never answer, as on a member cut off from its majority.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class KvServiceBreaksTest {
  private final MvccStore store = new MvccStore();
  private final AtomicInteger barriers = new AtomicInteger();
  private final AtomicInteger proposals = new AtomicInteger();
  /** The barrier and the proposals hang, as on a member without a majority. */
  private final CompletableFuture<Void> barrier = new CompletableFuture<>();
  private final CompletableFuture<org.apache.ratis.thirdparty.com.google.protobuf.ByteString> committed =
      new CompletableFuture<>();

  private KvService kv(TestBreaks breaks) {
    Proposer proposer = new Proposer(command -> {
      proposals.incrementAndGet();
      return committed;
    }, 1024 * 1024, ProposalObserver.NONE);
    return new KvService(() -> {
      barriers.incrementAndGet();
      return barrier;
    }, () -> store, proposer, new Validation(128), new Headers(1, 2, () -> 3), breaks);
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private void localPut(String key, String value) {
    store.put(PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build(), LeaseLookup.NONE);
  }

  private static TxnRequest readOnlyTxn(String key) {
    return TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setRequestRange(RangeRequest.newBuilder().setKey(bs(key)))).build();
  }

  @Test
  void withoutSwitchesLinearizableReadsWaitForTheBarrierAndPutsForTheCommit() {
    localPut("k", "old");
    KvService kv = kv(TestBreaks.NONE);

    CompletableFuture<RangeResponse> range = kv.range(RangeRequest.newBuilder().setKey(bs("k")).build());
    CompletableFuture<TxnResponse> txn = kv.txn(readOnlyTxn("k"));
    CompletableFuture<PutResponse> put = kv.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("new")).build());

    assertThat(barriers).hasValue(2);
    assertThat(range).isNotDone();
    assertThat(txn).isNotDone();
    assertThat(proposals).hasValue(1);
    assertThat(put).isNotDone();
    // serializable reads never took the barrier, with or without switches
    assertThat(kv.range(RangeRequest.newBuilder().setKey(bs("k")).setSerializable(true).build())).isDone();
    assertThat(barriers).hasValue(2);

    barrier.complete(null);
    assertThat(range.join().getKvs(0).getValue()).isEqualTo(bs("old"));
    assertThat(txn.join().getResponses(0).getResponseRange().getKvs(0).getValue()).isEqualTo(bs("old"));
  }

  @Test
  void staleReadsServesLinearizableRangesAndReadOnlyTxnsLocallyWithoutTheBarrier() {
    localPut("k", "old");
    KvService kv = kv(TestBreaks.parse("stale-reads"));

    RangeResponse range = kv.range(RangeRequest.newBuilder().setKey(bs("k")).build()).getNow(null);
    TxnResponse txn = kv.txn(readOnlyTxn("k")).getNow(null);

    assertThat(barriers).hasValue(0);
    assertThat(range).isNotNull();
    assertThat(range.getKvs(0).getValue()).isEqualTo(bs("old"));
    assertThat(range.getHeader().getRevision()).isEqualTo(2);
    assertThat(txn).isNotNull();
    assertThat(txn.getResponses(0).getResponseRange().getKvs(0).getValue()).isEqualTo(bs("old"));
    // puts are untouched by this switch
    assertThat(kv.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("new")).build())).isNotDone();
  }

  @Test
  void earlyAckAnswersAPutAtTheLocalRevisionPlusOneBeforeItCommits() {
    localPut("a", "1");
    localPut("b", "1");
    KvService kv = kv(TestBreaks.parse("early-ack"));

    PutResponse put = kv.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v")).build()).getNow(null);

    assertThat(put).as("acknowledged while the proposal hangs").isNotNull();
    assertThat(proposals).as("the proposal still goes on").hasValue(1);
    assertThat(put.getHeader().getRevision()).isEqualTo(4);
    assertThat(put.getHeader().getMemberId()).isEqualTo(2);
    assertThat(store.range(RangeRequest.newBuilder().setKey(bs("k")).build()).getKvsList()).isEmpty();
    // the proposal failing later tells nobody
    committed.completeExceptionally(new IllegalStateException("lost"));
    // reads are untouched by this switch
    assertThat(kv.range(RangeRequest.newBuilder().setKey(bs("k")).build())).isNotDone();
  }

  @Test
  void earlyAckStillRefusesAnInvalidPut() {
    KvService kv = kv(TestBreaks.parse("early-ack"));
    CompletableFuture<PutResponse> put = kv.put(PutRequest.newBuilder().setValue(bs("v")).build());
    assertThat(put).isCompletedExceptionally();
    assertThat(put.handle((r, e) -> e.getCause())).succeedsWithin(java.time.Duration.ZERO)
        .isInstanceOf(EtcdException.class);
    assertThat(proposals).hasValue(0);
  }
}
