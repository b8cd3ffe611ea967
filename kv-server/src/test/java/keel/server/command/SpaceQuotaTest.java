package keel.server.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmType;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SpaceQuotaTest {
  private final AtomicLong size = new AtomicLong();
  private final SpaceQuota quota = new SpaceQuota(10_000, size::get, 42);

  private static Command put(int keyBytes, int valueBytes) {
    return Command.newBuilder().setPut(PutRequest.newBuilder().setKey(ByteString.copyFrom(new byte[keyBytes]))
        .setValue(ByteString.copyFrom(new byte[valueBytes]))).build();
  }

  private static RequestOp putOp(int valueBytes) {
    return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setValue(ByteString.copyFrom(new byte[valueBytes]))).build();
  }

  private static Command grant() {
    return Command.newBuilder().setLeaseGrant(LeaseGrantRequest.getDefaultInstance()).build();
  }

  @Test
  void aWriteIsRefusedWhenTheSizePlusEtcdsCostReachesTheQuota() {
    size.set(10_000 - 256 - 10 - 90 - 1);
    assertThat(quota.refuses(put(10, 90))).isFalse(); // one byte to spare
    size.incrementAndGet();
    assertThat(quota.refuses(put(10, 90))).isTrue(); // etcd: available only while size + cost < quota
    assertThat(quota.refuses(Command.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8("k"))).build())).isFalse();

    size.set(10_000 - 64);
    assertThat(quota.refuses(grant())).isTrue();
    size.set(10_000 - 65);
    assertThat(quota.refuses(grant())).isFalse();
  }

  @Test
  void aTxnCostsThePutsOfItsCostlierBranchNotThoseOfNestedTxns() {
    TxnRequest nested = TxnRequest.newBuilder().addSuccess(putOp(5000)).build();
    TxnRequest txn = TxnRequest.newBuilder().addSuccess(putOp(10)).addSuccess(putOp(20))
        .addFailure(putOp(1000)).addFailure(RequestOp.newBuilder().setRequestTxn(nested)).build();
    assertThat(SpaceQuota.txnCost(txn)).isEqualTo(256 + 1 + 1000); // not the success branch's 2 x 256 + 2 + 30
    assertThat(SpaceQuota.txnCost(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setRequestTxn(nested)).build())).isZero();
  }

  @Test
  void noQuotaRefusesNothing() {
    assertThat(SpaceQuota.NONE.refuses(put(1 << 20, 1 << 20))).isFalse();
  }

  @Test
  void theProposerRaisesTheAlarmBeforeItRefusesAndProposesNothingElse() {
    List<Command> proposed = new ArrayList<>();
    Proposer proposer = new Proposer(bytes -> {
      try {
        proposed.add(Command.parseFrom(bytes));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
      return CompletableFuture.completedFuture(UnsafeByteOperations.unsafeWrap(CommandResult.newBuilder()
          .setAlarm(io.etcd.jetcd.api.AlarmResponse.getDefaultInstance()).build().toByteArray()));
    }, 1 << 20, ProposalObserver.NONE, quota);
    size.set(9_999);

    CompletableFuture<CommandResult> refused = proposer.propose(put(1, 1));

    assertThat(proposed).hasSize(1);
    AlarmRequest alarm = proposed.get(0).getAlarm();
    assertThat(alarm.getAction()).isEqualTo(AlarmRequest.AlarmAction.ACTIVATE);
    assertThat(alarm.getMemberID()).isEqualTo(42);
    assertThat(alarm.getAlarm()).isEqualTo(AlarmType.NOSPACE);
    assertThat(refused.handle((r, e) -> e).join()).isInstanceOf(java.util.concurrent.CompletionException.class)
        .cause().isInstanceOfSatisfying(EtcdException.class, e -> assertThat(e.error()).isEqualTo(EtcdError.NO_SPACE));
  }
}
