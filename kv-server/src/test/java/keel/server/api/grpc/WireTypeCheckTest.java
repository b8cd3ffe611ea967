package keel.server.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Found by GrpcFuzzIT: etcd refuses a declared field sent with another wire type; Java's protobuf does not. */
@Timeout(10)
class WireTypeCheckTest {
  @Test
  void aKeySentAsFixed64IsRefusedWithGosWords() throws Exception {
    // field 1 (key) with wire type 1 (fixed64): etcd answers INTERNAL "...: proto: wrong wireType = 1 for field Key"
    RangeRequest parsed = RangeRequest.parseFrom(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0});
    assertThat(parsed.getKey()).as("Java's protobuf left it unset").isEmpty();
    assertThat(WireTypeCheck.wrongWireType(parsed)).isEqualTo("proto: wrong wireType = 1 for field Key");
  }

  @Test
  void aWrongWireTypeInsideATxnIsFound() throws Exception {
    byte[] badCompare = {(byte) ((3 << 3) | 0), 1}; // Compare.key (3) as a varint
    byte[] txn = new byte[2 + badCompare.length];
    txn[0] = (byte) ((1 << 3) | 2); // TxnRequest.compare, length-delimited
    txn[1] = (byte) badCompare.length;
    System.arraycopy(badCompare, 0, txn, 2, badCompare.length);
    assertThat(WireTypeCheck.wrongWireType(TxnRequest.parseFrom(txn)))
        .isEqualTo("proto: wrong wireType = 0 for field Key");
  }

  @Test
  void wellFormedRequestsAndUndeclaredNumbersPass() throws Exception {
    assertThat(WireTypeCheck.wrongWireType(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("a"))
        .setRangeEnd(ByteString.copyFromUtf8("b")).setLimit(3).build())).isNull();
    // etcd 3.4's watch_id (7), which jetcd-grpc's WatchCreateRequest lacks, stays allowed
    byte[] create = WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8("a")).build().toByteArray();
    byte[] withId = new byte[create.length + 2];
    System.arraycopy(create, 0, withId, 0, create.length);
    withId[create.length] = (byte) (7 << 3);
    withId[create.length + 1] = 5;
    WatchRequest request = WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.parseFrom(withId)).build();
    assertThat(WireTypeCheck.wrongWireType(request)).isNull();
  }

  @Test
  void goNamesFollowProtocGenGo() {
    assertThat(WireTypeCheck.goName("range_end")).isEqualTo("RangeEnd");
    assertThat(WireTypeCheck.goName("ID")).isEqualTo("ID");
    assertThat(WireTypeCheck.goName("key")).isEqualTo("Key");
  }
}
