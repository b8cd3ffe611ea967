package keel.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.AlarmMember;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmRequest.AlarmAction;
import io.etcd.jetcd.api.AlarmType;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.errors.EtcdError;
import keel.server.lease.Lessor;
import keel.server.watch.EventSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ApplierAlarmTest {
  private static final long M1 = 0x82039f3eee02bfb3L; // above Long.MAX_VALUE as etcd's unsigned ids often are
  private static final long M2 = 7;
  private final Applier applier = new Applier(new Applier.Settings(2));
  private long index;

  private CommandResult apply(Command c) {
    return applier.apply(++index, 2, c);
  }

  private List<AlarmMember> alarm(AlarmAction action, long member, AlarmType type) {
    return apply(Command.newBuilder().setAlarm(AlarmRequest.newBuilder().setAction(action).setMemberID(member)
        .setAlarm(type)).build()).getAlarm().getAlarmsList();
  }

  private CommandResult put(String key) {
    return apply(Command.newBuilder().setPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
        .setValue(ByteString.copyFromUtf8("v"))).build());
  }

  private static AlarmMember noSpace(long member) {
    return AlarmMember.newBuilder().setMemberID(member).setAlarm(AlarmType.NOSPACE).build();
  }

  @Test
  void aNoSpaceAlarmCapsPutsTxnPutsAndGrantsButNotDeletesOrCompactionUntilTheLastIsDisarmed() {
    assertThat(put("a").getPut().getHeader().getRevision()).isEqualTo(2);
    assertThat(alarm(AlarmAction.ACTIVATE, M1, AlarmType.NOSPACE)).containsExactly(noSpace(M1));
    assertThat(alarm(AlarmAction.ACTIVATE, M2, AlarmType.NOSPACE)).containsExactly(noSpace(M2));

    assertThat(put("b").getError()).isEqualTo(EtcdError.NO_SPACE.name());
    assertThat(apply(Command.newBuilder().setLeaseGrant(LeaseGrantRequest.newBuilder().setID(5).setTTL(10)).build())
        .getError()).isEqualTo(EtcdError.NO_SPACE.name());
    RequestOp putOp = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8("c"))).build();
    assertThat(apply(Command.newBuilder().setTxn(TxnRequest.newBuilder().addSuccess(putOp)).build()).getError())
        .isEqualTo(EtcdError.NO_SPACE.name());
    assertThat(apply(Command.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8("a"))).build()).getDeleteRange().getDeleted()).isEqualTo(1);
    assertThat(apply(Command.newBuilder().setCompaction(CompactionRequest.newBuilder().setRevision(3)).build())
        .getBodyCase()).isEqualTo(CommandResult.BodyCase.COMPACTION);

    assertThat(alarm(AlarmAction.GET, 0, AlarmType.NONE)).containsExactly(noSpace(M2), noSpace(M1));
    assertThat(alarm(AlarmAction.DEACTIVATE, M1, AlarmType.NOSPACE)).containsExactly(noSpace(M1));
    assertThat(alarm(AlarmAction.DEACTIVATE, M1, AlarmType.NOSPACE)).isEmpty(); // cleared already
    assertThat(put("b").getError()).isEqualTo(EtcdError.NO_SPACE.name()); // M2's still stands
    alarm(AlarmAction.DEACTIVATE, M2, AlarmType.NOSPACE);
    assertThat(alarm(AlarmAction.GET, 0, AlarmType.NOSPACE)).isEmpty();
    assertThat(put("b").getPut().getHeader().getRevision()).isEqualTo(4);
  }

  @Test
  void alarmsAndTheCapSurviveASnapshot() throws Exception {
    alarm(AlarmAction.ACTIVATE, M1, AlarmType.NOSPACE);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    applier.writeTo(out);

    Applier read = Applier.readFrom(new ByteArrayInputStream(out.toByteArray()), new Applier.Settings(2),
        Lessor.Listener.NONE, EventSink.NONE, Applier.newV2Store(1, Runnable::run));

    assertThat(read.alarms().get(AlarmType.NONE)).containsExactly(noSpace(M1));
    assertThat(read.apply(9, 2, Command.newBuilder().setPut(PutRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8("x"))).build()).getError()).isEqualTo(EtcdError.NO_SPACE.name());
  }
}
