package keel.testing;

import static keel.testing.KeelCluster.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** jetcd's KV and Txn against an in-process 3-member Keel. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KvIT {
  @RegisterExtension
  static final KeelCluster cluster = KeelCluster.ofSize(3);

  private static KV kv() {
    return cluster.kv();
  }

  @Test
  void putThenGetReturnsValueAndRevisions() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    PutResponse first = kv().put(key, bytes("v1")).get();
    PutResponse second = kv().put(key, bytes("v2")).get();

    assertThat(second.getHeader().getRevision()).isEqualTo(first.getHeader().getRevision() + 1);
    GetResponse got = kv().get(key).get();
    assertThat(got.getKvs()).hasSize(1);
    KeyValue kv = got.getKvs().get(0);
    assertThat(kv.getValue()).isEqualTo(bytes("v2"));
    assertThat(kv.getVersion()).isEqualTo(2);
    assertThat(kv.getCreateRevision()).isEqualTo(first.getHeader().getRevision());
    assertThat(kv.getModRevision()).isEqualTo(second.getHeader().getRevision());
    assertThat(got.getHeader().getClusterId()).isNotZero();
    assertThat(got.getHeader().getMemberId()).isNotZero();
    // etcd's numbering: bootstrap entries at term 1, so any elected leader's term is 2 or more
    assertThat(got.getHeader().getRaftTerm()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void putReturnsPreviousValueWhenAsked() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    kv().put(key, bytes("old")).get();
    PutResponse put = kv().put(key, bytes("new"), PutOption.builder().withPrevKV().build()).get();
    assertThat(put.hasPrevKv()).isTrue();
    assertThat(put.getPrevKv().getValue()).isEqualTo(bytes("old"));
  }

  @Test
  void everyMemberReadsItsOwnAndOthersWritesLinearizably() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    List<URI> endpoints = cluster.endpoints();
    for (int writer = 0; writer < endpoints.size(); writer++) {
      String value = "from-" + writer;
      try (Client w = Client.builder().endpoints(endpoints.get(writer)).build()) {
        w.getKVClient().put(key, bytes(value)).get();
      }
      for (URI reader : endpoints) {
        try (Client r = Client.builder().endpoints(reader).build()) {
          assertThat(r.getKVClient().get(key).get().getKvs().get(0).getValue()).isEqualTo(bytes(value));
        }
      }
    }
  }

  @Test
  void prefixRangeSortsLimitsAndCounts() throws Exception {
    String prefix = cluster.uniquePrefix();
    for (String suffix : List.of("c", "a", "b", "d")) {
      kv().put(bytes(prefix + suffix), bytes("value-" + suffix)).get();
    }
    GetResponse limited = kv().get(bytes(prefix), GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.DESCEND)
        .withLimit(2).build()).get();
    assertThat(limited.getKvs()).extracting(k -> k.getKey().toString()).containsExactly(prefix + "d", prefix + "c");
    assertThat(limited.isMore()).isTrue();
    assertThat(limited.getCount()).isEqualTo(4);

    GetResponse byCreate = kv().get(bytes(prefix), GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.ASCEND).build()).get();
    assertThat(byCreate.getKvs()).extracting(k -> k.getKey().toString())
        .containsExactly(prefix + "c", prefix + "a", prefix + "b", prefix + "d");

    GetResponse countOnly = kv().get(bytes(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build()).get();
    assertThat(countOnly.getKvs()).isEmpty();
    assertThat(countOnly.getCount()).isEqualTo(4);

    GetResponse keysOnly = kv().get(bytes(prefix + "a"), GetOption.builder().withKeysOnly(true).build()).get();
    assertThat(keysOnly.getKvs().get(0).getValue().isEmpty()).isTrue();
  }

  @Test
  void historicalReadSeesTheOldValueAndDeleteResetsVersion() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    long rev1 = kv().put(key, bytes("one")).get().getHeader().getRevision();
    kv().put(key, bytes("two")).get();
    assertThat(kv().delete(key).get().getDeleted()).isEqualTo(1);
    assertThat(kv().get(key).get().getKvs()).isEmpty();
    assertThat(kv().get(key, GetOption.builder().withRevision(rev1).build()).get().getKvs().get(0).getValue())
        .isEqualTo(bytes("one"));
    kv().put(key, bytes("three")).get();
    assertThat(kv().get(key).get().getKvs().get(0).getVersion()).isEqualTo(1);
  }

  @Test
  void deleteOfMissingKeyReportsZeroAndPrefixDeleteReturnsPrevKvs() throws Exception {
    assertThat(kv().delete(cluster.uniqueKey()).get().getDeleted()).isZero();
    String prefix = cluster.uniquePrefix();
    kv().put(bytes(prefix + "x"), bytes("1")).get();
    kv().put(bytes(prefix + "y"), bytes("2")).get();
    var deleted = kv().delete(bytes(prefix), DeleteOption.builder().isPrefix(true).withPrevKV(true).build()).get();
    assertThat(deleted.getDeleted()).isEqualTo(2);
    assertThat(deleted.getPrevKvs()).extracting(k -> k.getValue().toString()).containsExactly("1", "2");
  }

  @Test
  void txnTakesSuccessOrFailureByCompares() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    kv().put(key, bytes("a")).get();
    TxnResponse hit = kv().txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes("a"))), new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(1)))
        .Then(Op.put(key, bytes("b"), PutOption.DEFAULT), Op.get(key, GetOption.DEFAULT))
        .Else(Op.put(key, bytes("never"), PutOption.DEFAULT))
        .commit().get();
    assertThat(hit.isSucceeded()).isTrue();
    assertThat(hit.getGetResponses().get(0).getKvs().get(0).getValue()).isEqualTo(bytes("b"));

    TxnResponse miss = kv().txn()
        .If(new Cmp(key, Cmp.Op.GREATER, CmpTarget.modRevision(hit.getHeader().getRevision())))
        .Then(Op.put(key, bytes("never"), PutOption.DEFAULT))
        .Else(Op.get(key, GetOption.DEFAULT))
        .commit().get();
    assertThat(miss.isSucceeded()).isFalse();
    assertThat(miss.getHeader().getRevision()).isEqualTo(hit.getHeader().getRevision());
    assertThat(miss.getGetResponses().get(0).getKvs().get(0).getValue()).isEqualTo(bytes("b"));
  }

  @Test
  void compactedRevisionIsRefusedWithEtcdsError() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    long old = kv().put(key, bytes("1")).get().getHeader().getRevision();
    long now = kv().put(key, bytes("2")).get().getHeader().getRevision();
    kv().compact(now).get();
    assertEtcdError(() -> kv().get(key, GetOption.builder().withRevision(old).build()).get(),
        "etcdserver: mvcc: required revision has been compacted");
    assertThat(kv().get(key, GetOption.builder().withRevision(now).build()).get().getKvs()).hasSize(1);
    assertEtcdError(() -> kv().compact(old).get(), "etcdserver: mvcc: required revision has been compacted");
  }

  @Test
  void futureRevisionAndEmptyKeyAreRefused() {
    assertEtcdError(() -> kv().get(cluster.uniqueKey(), GetOption.builder().withRevision(1_000_000_000L).build()).get(),
        "etcdserver: mvcc: required revision is a future revision");
    assertEtcdError(() -> kv().put(ByteSequence.EMPTY, bytes("v")).get(), "etcdserver: key is not provided");
  }

  @Test
  void putWithUnknownLeaseIsRefusedAndChangesNothing() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    long before = kv().get(key).get().getHeader().getRevision();
    assertEtcdError(() -> kv().put(key, bytes("v"), PutOption.builder().withLeaseId(12345).build()).get(),
        "etcdserver: requested lease not found");
    assertThat(kv().get(key).get().getKvs()).isEmpty();
    assertThat(kv().get(key).get().getHeader().getRevision()).isGreaterThanOrEqualTo(before);
  }

  @Test
  void txnWithDuplicateKeyOrTooManyOpsIsRefused() {
    ByteSequence key = cluster.uniqueKey();
    assertEtcdError(() -> kv().txn().Then(Op.put(key, bytes("1"), PutOption.DEFAULT), Op.put(key, bytes("2"),
        PutOption.DEFAULT)).commit().get(), "etcdserver: duplicate key given in txn request");
    Op[] ops = new Op[129];
    for (int i = 0; i < ops.length; i++) {
      ops[i] = Op.put(bytes(cluster.uniquePrefix()), bytes("v"), PutOption.DEFAULT);
    }
    assertEtcdError(() -> kv().txn().Then(ops).commit().get(), "etcdserver: too many operations in txn request");
  }

  @FunctionalInterface
  interface Call {
    Object run() throws Exception;
  }

  private static void assertEtcdError(Call call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOf(ExecutionException.class)
        .rootCause()
        .hasMessageContaining(message);
  }

  /** etcd_server_proposals_committed_total (the Raft commit index) of one member, from /metrics. */
  private static long committed(URI endpoint) throws Exception {
    return (long) PrometheusText.scrape(endpoint).value("etcd_server_proposals_committed_total");
  }

  @Test
  void aTxnThatOnlyReadsIsLinearizableOnAFollowerAndNeverEntersTheLog() throws Exception {
    ByteSequence key = cluster.uniqueKey();
    int follower = (cluster.awaitLeader() + 1) % 3;
    URI endpoint = cluster.endpoints().get(follower);
    try (Client onFollower = Client.builder().endpoints(endpoint).build()) {
      kv().put(key, bytes("seen")).get();
      // after one linearizable read the follower knows the put is committed: its index is current
      onFollower.getKVClient().get(key).get();
      long before = committed(endpoint);
      for (int i = 0; i < 20; i++) {
        TxnResponse read = onFollower.getKVClient().txn()
            .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes("seen"))))
            .Then(Op.get(key, GetOption.DEFAULT))
            .Else(Op.get(key, GetOption.builder().withCountOnly(true).build()))
            .commit().get();
        assertThat(read.isSucceeded()).isTrue();
        assertThat(read.getGetResponses().get(0).getKvs().get(0).getValue()).isEqualTo(bytes("seen"));
      }
      assertThat(committed(endpoint)).as("Raft commit index after 20 read-only txns").isEqualTo(before);
      TxnResponse write = onFollower.getKVClient().txn()
          .Then(Op.put(key, bytes("written"), PutOption.DEFAULT)).commit().get();
      assertThat(write.getPutResponses()).hasSize(1);
      assertThat(committed(endpoint)).isGreaterThan(before);
    }
  }
}
