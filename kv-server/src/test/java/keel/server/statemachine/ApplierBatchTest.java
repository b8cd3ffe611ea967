package keel.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.server.command.Command;
import keel.server.command.CommandBatch;
import keel.server.command.CommandResult;
import keel.server.errors.EtcdError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ApplierBatchTest {
  private final Applier applier = new Applier(new Applier.Settings(2));

  private static Command put(String key, long lease) {
    return Command.newBuilder().setPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
        .setValue(ByteString.copyFromUtf8("v-" + key)).setLease(lease)).build();
  }

  private static Command batch(List<ByteString> commands) {
    return Command.newBuilder().setBatch(CommandBatch.newBuilder().addAllCommands(commands)).build();
  }

  private List<CommandResult> results(CommandResult batchResult) throws Exception {
    assertThat(batchResult.getBodyCase()).isEqualTo(CommandResult.BodyCase.BATCH);
    List<CommandResult> out = new java.util.ArrayList<>();
    for (ByteString r : batchResult.getBatch().getResultsList()) {
      out.add(CommandResult.parseFrom(r));
    }
    return out;
  }

  @Test
  void eachCommandOfABatchAppliesInOrderWithItsOwnRevisionAndResult() throws Exception {
    CommandResult r = applier.apply(5, 2, batch(List.of(put("a", 0).toByteString(),
        put("b", 77).toByteString(), // no such lease: fails alone
        put("c", 0).toByteString())));

    List<CommandResult> each = results(r);
    assertThat(each).hasSize(3);
    assertThat(each.get(0).getPut().getHeader().getRevision()).isEqualTo(2);
    assertThat(each.get(1).getError()).isEqualTo(EtcdError.LEASE_NOT_FOUND.name());
    assertThat(each.get(2).getPut().getHeader().getRevision()).isEqualTo(3);
    assertThat(applier.store().range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("a"))
        .setRangeEnd(ByteString.copyFromUtf8("z")).build()).getKvsList())
        .extracting(kv -> kv.getKey().toStringUtf8()).containsExactly("a", "c");
  }

  @Test
  void aNestedBatchOrBytesThatAreNoCommandAnswerAnErrorAndTheRestStillApply() throws Exception {
    CommandResult r = applier.apply(5, 2, batch(List.of(batch(List.of(put("x", 0).toByteString())).toByteString(),
        ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01}),
        put("d", 0).toByteString())));

    List<CommandResult> each = results(r);
    assertThat(each.get(0).getError()).isEqualTo(EtcdError.UNKNOWN.name());
    assertThat(each.get(1).getError()).isEqualTo(EtcdError.UNKNOWN.name());
    assertThat(each.get(2).getPut().getHeader().getRevision()).isEqualTo(2);
    assertThat(applier.store().currentRevision()).isEqualTo(2);
  }
}
