package keel.server.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** Go's reading of protobuf, where Java's differs (found by GrpcFuzzIT). */
class GoWireTest {
  @Test
  void aDeclaredFieldWithAnotherWireTypeIsRefusedWithGosWords() throws Exception {
    // field 1 (key) as fixed64: Java's protobuf would leave the key unset and serve the request
    byte[] bytes = {9, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThat(RangeRequest.parseFrom(bytes).getKey()).as("what Java alone would read").isEmpty();
    assertThat(GoWire.read(bytes, RangeRequest.getDescriptor()).problem())
        .isEqualTo("proto: wrong wireType = 1 for field Key");
    byte[] badCompare = {(byte) (3 << 3), 1}; // Compare.key (3) as a varint, inside TxnRequest.compare
    byte[] txn = concat(varint((1 << 3) | 2), varint(badCompare.length), badCompare);
    assertThat(GoWire.read(txn, TxnRequest.getDescriptor()).problem())
        .isEqualTo("proto: wrong wireType = 0 for field Key");
  }

  @Test
  void packedAndUnpackedRepeatedNumbersAndUndeclaredNumbersPass() {
    // WatchCreateRequest.filters (5), a repeated enum: one value unpacked, then two packed
    byte[] filters = concat(varint(5 << 3), varint(1), varint((5 << 3) | 2), varint(2), varint(0), varint(1));
    assertThat(GoWire.read(filters, WatchCreateRequest.getDescriptor()).problem()).isNull();
    // etcd 3.4's watch_id (7), which jetcd-grpc's WatchCreateRequest lacks, stays allowed
    byte[] watchId = concat(WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8("a")).build().toByteArray(),
        varint(7 << 3), varint(5));
    assertThat(GoWire.read(watchId, WatchCreateRequest.getDescriptor()).problem()).isNull();
  }

  /**
   * GrpcFuzzIT: a Put whose bytes held an unknown group (field 15) closed by the end-group tag of
   * field 0. Go skips it up to that tag and reads the rest; Java refused the mismatched end tag.
   */
  @Test
  void anUnknownGroupIsSkippedToAnyEndTagAsGoDoesAndDropped() throws Exception {
    byte[] key = concat(varint((1 << 3) | 2), varint(1), new byte[] {'k'});
    byte[] group = concat(varint((15 << 3) | 3), varint((7 << 3) | 5), new byte[4], varint(4)); // ends as "field 0"
    GoWire.Read read = GoWire.read(concat(group, key), io.etcd.jetcd.api.PutRequest.getDescriptor());
    assertThat(read.problem()).isNull();
    assertThat(io.etcd.jetcd.api.PutRequest.parseFrom(read.bytes()).getKey().toStringUtf8()).isEqualTo("k");
  }

  @Test
  void goNamesFollowProtocGenGo() {
    assertThat(GoWire.goName("range_end")).isEqualTo("RangeEnd");
    assertThat(GoWire.goName("ID")).isEqualTo("ID");
    assertThat(GoWire.goName("key")).isEqualTo("Key");
  }

  @Test
  void wellFormedBytesPassUntouched() {
    byte[] bytes = RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("a")).setRangeEnd(ByteString.copyFromUtf8("b"))
        .setLimit(5).build().toByteArray();
    GoWire.Read read = GoWire.read(bytes, RangeRequest.getDescriptor());
    assertThat(read.problem()).isNull();
    assertThat(read.bytes()).isSameAs(bytes);
  }

  @Test
  void aTagWhoseGoFieldNumberIsNegativeOrZeroIsIllegal() {
    // field 1, wire type 2, plus bit 34: Go's int32(tag >> 3) is negative
    byte[] negative = concat(varint((1L << 34) | (1 << 3) | 2), varint(1), new byte[] {'a'});
    assertThat(GoWire.read(negative, RangeRequest.getDescriptor()).problem())
        .startsWith("proto: RangeRequest: illegal tag -");
    byte[] zero = concat(varint(2), varint(0));
    assertThat(GoWire.read(zero, RangeRequest.getDescriptor()).problem())
        .isEqualTo("proto: RangeRequest: illegal tag 0 (wire type 2)");
  }

  @Test
  void endGroupOutsideAGroupAndWireTypesSixAndSevenAreRefused() {
    assertThat(GoWire.read(varint((1 << 3) | 4), RangeRequest.getDescriptor()).problem())
        .isEqualTo("proto: RangeRequest: wiretype end group for non-group");
    // an undeclared field: Go's skip refuses the wire type (a declared one is a wrong wire type)
    assertThat(GoWire.read(varint((99 << 3) | 6), RangeRequest.getDescriptor()).problem())
        .isEqualTo("proto: illegal wireType 6");
    assertThat(GoWire.read(varint((1 << 3) | 6), RangeRequest.getDescriptor()).problem())
        .isEqualTo("proto: wrong wireType = 6 for field Key");
  }

  @Test
  void aLengthWiderThanTheMessageIsUnexpectedEof() {
    // Java reads the low 32 bits of the length (1) and would parse the key "a"
    byte[] bytes = concat(varint((1 << 3) | 2), varint((1L << 32) | 1), new byte[] {'a'});
    assertThat(GoWire.read(bytes, RangeRequest.getDescriptor()).problem()).isEqualTo("unexpected EOF");
  }

  @Test
  void aFieldGoReadsAsAnUndeclaredNumberIsDroppedAlsoInsideNestedMessages() throws Exception {
    // key (field 1) with bit 32 in its tag: Java would read field 1, Go field 2^29 + 1 and skip it
    byte[] oddKey = concat(varint((1L << 32) | (1 << 3) | 2), varint(1), new byte[] {'x'});
    byte[] rangeEnd = concat(varint((2 << 3) | 2), varint(1), new byte[] {'z'});
    GoWire.Read top = GoWire.read(concat(oddKey, rangeEnd), RangeRequest.getDescriptor());
    RangeRequest range = RangeRequest.parseFrom(top.bytes());
    assertThat(range.getKey()).isEmpty();
    assertThat(range.getRangeEnd().toStringUtf8()).isEqualTo("z");

    byte[] compareValue = concat(varint((7 << 3) | 2), varint(1), new byte[] {'v'}); // Compare.value
    byte[] compare = concat(oddKey, compareValue);
    byte[] txn = concat(varint((1 << 3) | 2), varint(compare.length), compare); // TxnRequest.compare
    GoWire.Read nested = GoWire.read(txn, TxnRequest.getDescriptor());
    assertThat(nested.problem()).isNull();
    Compare parsed = TxnRequest.parseFrom(nested.bytes()).getCompare(0);
    assertThat(parsed.getKey()).isEmpty();
    assertThat(parsed.getValue().toStringUtf8()).isEqualTo("v");
  }

  @Test
  void anIllegalTagInsideANestedMessageIsRefused() {
    byte[] compare = concat(varint(2), varint(0)); // field 0
    byte[] txn = concat(varint((1 << 3) | 2), varint(compare.length), compare);
    assertThat(GoWire.read(txn, TxnRequest.getDescriptor()).problem())
        .isEqualTo("proto: Compare: illegal tag 0 (wire type 2)");
  }

  private static byte[] varint(long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((value & ~0x7fL) != 0) {
      out.write((int) (value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out.write((int) value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
