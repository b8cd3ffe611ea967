package keel.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import keel.server.command.Command;
import keel.server.command.MemberAttributes;
import keel.server.command.V2Answer;
import keel.server.command.V2Answers;
import keel.server.command.V2Request;
import keel.server.command.V2Sync;
import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;
import keel.server.lease.Lessor;
import keel.server.v2store.V2Event;
import keel.server.v2store.V2Stats;
import keel.server.v2store.V2Store;
import keel.server.watch.EventSink;
import org.junit.jupiter.api.Test;

/** v2 writes through the one dispatch switch: the store operation etcd picks, answers as data, snapshots. */
class ApplierV2Test {
  private static final long SEC = 1_000_000_000L;
  private static final long T0 = 1_767_225_600L * SEC;

  private final V2Store v2 = Applier.newV2Store(3, Runnable::run);
  private final Applier applier = new Applier(new Applier.Settings(2), Lessor.Listener.NONE, EventSink.NONE, v2);
  private long index = 1;

  private V2Answer apply(V2Request.Builder request) {
    return applier.apply(index++, 1, Command.newBuilder().setV2(request.setTime(T0)).build()).getV2();
  }

  private static V2Request.Builder put(String path, String value) {
    return V2Request.newBuilder().setMethod(V2Request.Method.PUT).setPath(path).setValue(value);
  }

  @Test
  void aFreshTreeStandsWhereEtcdsDoesAfterFormation() {
    // etcd 3.4, 3 members: 3 member creates and the cluster version before any publish.
    assertThat(v2.index()).isEqualTo(4);
    applier.apply(index++, 1, Command.newBuilder().setPublishMember(MemberAttributes.newBuilder().setName("a")).build());
    assertThat(v2.index()).isEqualTo(5);
    assertThat(v2.stats().successes(V2Stats.Op.SETS)).isEqualTo(2);
  }

  @Test
  void putChoosesSetCreateUpdateOrSwapAsEtcdDoes() {
    assertThat(apply(put("/a", "1")).getAction()).isEqualTo(V2Event.SET);
    V2Answer exists = apply(put("/a", "2").setPrevExist(false));
    assertThat(exists.getErrorCode()).isEqualTo(V2Error.NODE_EXIST.code());
    assertThat(exists.getErrorCause()).isEqualTo("/a");
    assertThat(apply(put("/a", "3").setPrevExist(true)).getAction()).isEqualTo(V2Event.UPDATE);
    assertThat(apply(put("/a", "4").setPrevValue("3")).getAction()).isEqualTo(V2Event.COMPARE_AND_SWAP);
    V2Answer missed = apply(put("/a", "5").setPrevExist(true).setPrevValue("nope"));
    assertThat(missed.getErrorCode()).isEqualTo(V2Error.TEST_FAILED.code());
    assertThat(missed.getErrorCause()).isEqualTo("[nope != 4]");
    assertThat(apply(V2Request.newBuilder().setMethod(V2Request.Method.POST).setPath("/q").setValue("x"))
        .getAction()).isEqualTo(V2Event.CREATE);
    assertThat(apply(V2Request.newBuilder().setMethod(V2Request.Method.DELETE).setPath("/a").setPrevValue("4"))
        .getAction()).isEqualTo(V2Event.COMPARE_AND_DELETE);
    assertThat(v2.stats().failures(V2Stats.Op.CREATE)).isEqualTo(1);
    assertThat(v2.stats().failures(V2Stats.Op.COMPARE_AND_SWAP)).isEqualTo(1);
  }

  @Test
  void answersCarryEverythingTheClientSees() {
    V2Answer answer = apply(put("/dir/a", "1").setExpiration(T0 + 10 * SEC));
    V2Event event = V2Answers.event(answer);
    assertThat(event.node().key()).isEqualTo("/dir/a");
    assertThat(event.node().value()).isEqualTo("1");
    assertThat(event.node().ttl()).isEqualTo(10);
    assertThat(event.node().expiration()).isEqualTo(T0 + 10 * SEC);
    assertThat(event.etcdIndex()).isEqualTo(v2.index());
    V2Answer error = apply(put("/dir", "x"));
    V2Exception thrown = org.assertj.core.api.Assertions.catchThrowableOfType(V2Exception.class,
        () -> V2Answers.event(error));
    assertThat(thrown.error()).isEqualTo(V2Error.NOT_FILE);
    assertThat(thrown.index()).isEqualTo(v2.index());
  }

  @Test
  void theLeadersSweepExpiresAtItsInstantOnly() {
    apply(put("/t1", "a").setExpiration(T0 + 2 * SEC));
    apply(put("/t2", "b").setExpiration(T0 + 5 * SEC));
    long before = v2.index();
    applier.apply(index++, 1, Command.newBuilder().setV2Sync(V2Sync.newBuilder().setTime(T0 + 3 * SEC)).build());
    assertThat(v2.index()).isEqualTo(before + 1);
    assertThat(v2.nextExpiry()).hasValue(T0 + 5 * SEC);
  }

  @Test
  void theV2TreeTravelsInTheSnapshotAndLoadsInPlace() throws IOException {
    apply(put("/keep/me", "v").setExpiration(T0 + 60 * SEC));
    long at = v2.index();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    applier.writeTo(out);
    V2Store other = Applier.newV2Store(3, Runnable::run);
    Applier read = Applier.readFrom(new ByteArrayInputStream(out.toByteArray()), new Applier.Settings(2),
        Lessor.Listener.NONE, EventSink.NONE, other);
    assertThat(read.v2()).isSameAs(other);
    assertThat(other.index()).isEqualTo(at);
    assertThat(other.get("/keep/me", false, false, T0).node().value()).isEqualTo("v");
    assertThat(other.nextExpiry()).hasValue(T0 + 60 * SEC);
  }
}
