package keel.server.mvcc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.List;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Short builders for etcd requests in the MVCC tests. */
final class Requests {
  private Requests() {}

  static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build();
  }

  static RangeRequest get(String key) {
    return RangeRequest.newBuilder().setKey(bs(key)).build();
  }

  static RangeRequest.Builder range(String key, String end) {
    return RangeRequest.newBuilder().setKey(bs(key)).setRangeEnd(bs(end));
  }

  static RangeRequest.Builder all() {
    return RangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO);
  }

  static DeleteRangeRequest delete(String key) {
    return DeleteRangeRequest.newBuilder().setKey(bs(key)).build();
  }

  static RequestOp op(PutRequest p) {
    return RequestOp.newBuilder().setRequestPut(p).build();
  }

  static RequestOp op(RangeRequest r) {
    return RequestOp.newBuilder().setRequestRange(r).build();
  }

  static RequestOp op(RangeRequest.Builder r) {
    return op(r.build());
  }

  static RequestOp op(DeleteRangeRequest d) {
    return RequestOp.newBuilder().setRequestDeleteRange(d).build();
  }

  static RequestOp op(TxnRequest t) {
    return RequestOp.newBuilder().setRequestTxn(t).build();
  }

  static TxnRequest txn(List<Compare> compares, List<RequestOp> success, List<RequestOp> failure) {
    return TxnRequest.newBuilder()
        .addAllCompare(compares).addAllSuccess(success).addAllFailure(failure).build();
  }

  static Compare.Builder compare(String key, Compare.CompareTarget target,
      Compare.CompareResult result) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(target).setResult(result);
  }

  static void assertEtcdError(ThrowingCallable call, EtcdError error) {
    assertThatThrownBy(call)
        .isInstanceOf(EtcdException.class)
        .hasMessage(error.message())
        .satisfies(e -> org.assertj.core.api.Assertions
            .assertThat(((EtcdException) e).error()).isEqualTo(error));
  }
}
