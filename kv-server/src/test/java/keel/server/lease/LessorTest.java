package keel.server.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LessorTest {
  private final List<String> told = new ArrayList<>();
  private final Lessor lessor = new Lessor(2, new Lessor.Listener() {
    @Override
    public void granted(long id, long ttl) {
      told.add("granted " + id + " ttl " + ttl);
    }

    @Override
    public void revoked(long id) {
      told.add("revoked " + id);
    }
  });

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static void assertEtcdError(Runnable call, EtcdError error) {
    assertThatThrownBy(call::run).isInstanceOf(EtcdException.class)
        .satisfies(e -> assertThat(((EtcdException) e).error()).isEqualTo(error))
        .hasMessage(error.message());
  }

  @Test
  void minTtlIsOneAndAHalfElectionTimeoutsRoundedUp() {
    assertThat(Lessor.minTtlSeconds(1000)).isEqualTo(2);
    assertThat(Lessor.minTtlSeconds(2000)).isEqualTo(3);
    assertThat(Lessor.minTtlSeconds(100)).isEqualTo(1);
    assertThat(Lessor.minTtlSeconds(5000)).isEqualTo(8);
  }

  @Test
  void grantRaisesATtlBelowTheMinimumAndTellsTheListener() {
    assertThat(lessor.grant(7, 1)).isEqualTo(2);
    assertThat(lessor.grant(8, 60)).isEqualTo(60);
    assertThat(lessor.exists(7)).isTrue();
    assertThat(lessor.exists(9)).isFalse();
    assertThat(lessor.lookup(7)).hasValueSatisfying(l -> assertThat(l.ttl()).isEqualTo(2));
    assertThat(lessor.ids()).containsExactly(7L, 8L);
    assertThat(told).containsExactly("granted 7 ttl 2", "granted 8 ttl 60");
  }

  @Test
  void grantRefusesATakenIdATooLargeTtlAndIdZero() {
    lessor.grant(7, 10);
    assertEtcdError(() -> lessor.grant(7, 20), EtcdError.LEASE_EXIST);
    assertThat(lessor.lookup(7).orElseThrow().ttl()).isEqualTo(10);
    assertEtcdError(() -> lessor.grant(8, Lessor.MAX_LEASE_TTL + 1), EtcdError.LEASE_TTL_TOO_LARGE);
    assertThat(lessor.grant(8, Lessor.MAX_LEASE_TTL)).isEqualTo(9_000_000_000L);
    assertEtcdError(() -> lessor.grant(0, 10), EtcdError.LEASE_NOT_FOUND);
    assertThat(told).containsExactly("granted 7 ttl 10", "granted 8 ttl 9000000000");
  }

  @Test
  void attachDetachKeepKeysSortedAndRevokeAnswersThem() {
    lessor.grant(7, 10);
    lessor.attach(7, bs("b"));
    lessor.attach(7, bs("a"));
    lessor.attach(7, bs("c"));
    lessor.attach(7, bs("a"));
    lessor.detach(7, bs("c"));
    lessor.attach(99, bs("x")); // no such lease: ignored
    assertThat(lessor.lookup(7).orElseThrow().keys()).containsExactly(bs("a"), bs("b"));
    assertThat(lessor.revoke(7)).containsExactly(bs("a"), bs("b"));
    assertThat(lessor.exists(7)).isFalse();
    assertThat(lessor.lookup(7)).isEmpty();
    assertEtcdError(() -> lessor.revoke(7), EtcdError.LEASE_NOT_FOUND);
    assertThat(told).containsExactly("granted 7 ttl 10", "revoked 7");
  }

  @Test
  void snapshotRoundTripKeepsLeasesTtlsAndKeys() throws IOException {
    lessor.grant(7, 10);
    lessor.grant(-5, 1);
    lessor.grant(1L << 62, 600);
    lessor.attach(7, bs("k1"));
    lessor.attach(7, ByteString.copyFrom(new byte[] {(byte) 0xff, 0}));
    lessor.attach(1L << 62, bs("k2"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      lessor.writeTo(out);
    }
    Lessor read = Lessor.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), 3,
        Lessor.Listener.NONE);
    assertThat(read.ttls()).isEqualTo(Map.of(-5L, 2L, 7L, 10L, 1L << 62, 600L));
    assertThat(read.lookup(7).orElseThrow().keys())
        .containsExactly(bs("k1"), ByteString.copyFrom(new byte[] {(byte) 0xff, 0}));
    assertThat(read.lookup(1L << 62).orElseThrow().keys()).containsExactly(bs("k2"));
    assertThat(read.grant(9, 1)).as("the reader's minimum applies to new grants").isEqualTo(3);
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(again)) {
      lessor.writeTo(out);
    }
    assertThat(again.toByteArray()).as("writing is deterministic").isEqualTo(bytes.toByteArray());
  }
}
