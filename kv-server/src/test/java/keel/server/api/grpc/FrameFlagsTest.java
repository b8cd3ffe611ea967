package keel.server.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.common.HttpData;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameFlagsTest {
  private static HttpData data(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return HttpData.wrap(b);
  }

  private static void assertRefused(Runnable feed, int flag) {
    assertThatThrownBy(feed::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(e.getStatus().getDescription()).isEqualTo("grpc: received unexpected payload format " + flag);
    });
  }

  @Test
  void aFlagOtherThanZeroOrOneIsRefusedInGrpcGosWords() {
    assertRefused(() -> new FrameFlags.Scanner(true).apply(data(0x80, 0, 0, 0, 0)), 128);
    assertRefused(() -> new FrameFlags.Scanner(false).apply(data(2)), 2);
    HttpData plain = data(0, 0, 0, 0, 2, 0x0a, 0);
    assertThat(new FrameFlags.Scanner(true).apply(plain)).isSameAs(plain);
    assertThat(new FrameFlags.Scanner(true).apply(data(1, 0, 0, 0, 1, 7)).length()).isEqualTo(6);
  }

  @Test
  void aUnaryCallLooksAtItsFirstMessageOnlyAsGrpcGoReadsOnlyThat() {
    FrameFlags.Scanner unary = new FrameFlags.Scanner(true);
    assertThatCode(() -> {
      unary.apply(data(0, 0, 0, 0, 2, 0x0a, 0, 0xff, 0)); // a second, broken header after the message
      unary.apply(data(0x80));
    }).doesNotThrowAnyException();
  }

  /** Which methods read a stream comes from their descriptors: etcd's two client streams. */
  @Test
  void theClientStreamsAreWatchAndLeaseKeepAlive() {
    List<ServerServiceDefinition> services = List.of(new io.etcd.jetcd.api.WatchGrpc.WatchImplBase() { }.bindService(),
        new io.etcd.jetcd.api.LeaseGrpc.LeaseImplBase() { }.bindService(),
        new io.etcd.jetcd.api.KVGrpc.KVImplBase() { }.bindService());
    FrameFlags flags = new FrameFlags(services);
    assertThat(flags.readsOneMessage("/etcdserverpb.Watch/Watch")).isFalse();
    assertThat(flags.readsOneMessage("/etcdserverpb.Lease/LeaseKeepAlive")).isFalse();
    assertThat(flags.readsOneMessage("/etcdserverpb.Lease/LeaseGrant")).isTrue();
    assertThat(flags.readsOneMessage("/etcdserverpb.KV/Put")).isTrue();
  }

  @Test
  void aStreamIsFollowedFrameByFrameAcrossChunks() {
    FrameFlags.Scanner stream = new FrameFlags.Scanner(false);
    stream.apply(data(0, 0, 0)); // a header cut in two
    stream.apply(data(1, 4, 1, 2)); // length 260: 2 of its bytes
    stream.apply(HttpData.wrap(new byte[258])); // the rest of the message
    stream.apply(data(0, 0, 0, 0, 0)); // an empty message
    assertRefused(() -> stream.apply(data(0x80, 0, 0, 0, 0)), 128);
  }
}
