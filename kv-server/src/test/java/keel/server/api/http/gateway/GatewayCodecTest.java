package keel.server.api.http.gateway;

import keel.server.api.http.GoQuote;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway's JSON against etcd's: every expected body and error text here was answered by
 * Debian's etcd 3.4.23 on 127.0.0.1 to the same request (curl -X POST /v3/...), ids included.
 */
@Timeout(10)
class GatewayCodecTest {
  private static final long CLUSTER = Long.parseUnsignedLong("15118495548433857066");
  private static final long MEMBER = Long.parseUnsignedLong("13668033151171901709");
  private static final String HEADER =
      "\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\",";

  private static ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder().setClusterId(CLUSTER).setMemberId(MEMBER).setRevision(revision)
        .setRaftTerm(2).build();
  }

  private static ByteString bytes(String text) {
    return ByteString.copyFromUtf8(text);
  }

  private static <Resp> String print(MethodDescriptor<?, Resp> method, Resp response) {
    return GatewayCodec.print(method, GatewayCodec.responseShape(method), response);
  }

  private static <Req> Req parse(MethodDescriptor<Req, ?> method, String json) throws Exception {
    return GatewayCodec.parse(method, GatewayCodec.requestShape(method), json.getBytes(StandardCharsets.UTF_8));
  }

  private static void assertRangeError(String json, String error) {
    assertThatThrownBy(() -> parse(KVGrpc.getRangeMethod(), json)).as(json).hasMessage(error);
  }

  // --- printing ---

  @Test
  void printsProtoNamesInt64AsStringsBase64AndLeavesZerosOut() {
    RangeResponse response = RangeResponse.newBuilder()
        .setHeader(header(5))
        .addKvs(KeyValue.newBuilder().setKey(bytes("foo")).setCreateRevision(2).setModRevision(5).setVersion(4)
            .setValue(bytes("bar")))
        .setCount(1)
        .build();
    assertThat(print(KVGrpc.getRangeMethod(), response)).isEqualTo("{" + HEADER
        + "\"revision\":\"5\",\"raft_term\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\","
        + "\"mod_revision\":\"5\",\"version\":\"4\",\"value\":\"YmFy\"}],\"count\":\"1\"}");
    // a key with an empty value, a range with nothing: the zero fields are simply absent
    RangeResponse empty = RangeResponse.newBuilder().setHeader(header(5))
        .addKvs(KeyValue.newBuilder().setKey(bytes("foo")).setCreateRevision(2).setModRevision(6).setVersion(5))
        .setCount(1).build();
    assertThat(print(KVGrpc.getRangeMethod(), empty)).endsWith(
        "\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"6\",\"version\":\"5\"}],\"count\":\"1\"}");
    assertThat(print(KVGrpc.getRangeMethod(), RangeResponse.newBuilder().setHeader(header(5)).build()))
        .isEqualTo("{" + HEADER + "\"revision\":\"5\",\"raft_term\":\"2\"}}");
  }

  @Test
  void printsEnumsByNameExceptTheDefaultAndNegativeInt64Signed() {
    WatchResponse deleted = WatchResponse.newBuilder().setHeader(header(12))
        .addEvents(Event.newBuilder().setType(Event.EventType.DELETE)
            .setKv(KeyValue.newBuilder().setKey(bytes("wa")).setModRevision(12))
            .setPrevKv(KeyValue.newBuilder().setKey(bytes("wa")).setCreateRevision(9).setModRevision(10)
                .setVersion(2).setValue(bytes("2"))))
        .build();
    assertThat(print(WatchGrpc.getWatchMethod(), deleted)).isEqualTo("{" + HEADER
        + "\"revision\":\"12\",\"raft_term\":\"2\"},\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"d2E=\","
        + "\"mod_revision\":\"12\"},\"prev_kv\":{\"key\":\"d2E=\",\"create_revision\":\"9\",\"mod_revision\":\"10\","
        + "\"version\":\"2\",\"value\":\"Mg==\"}}]}");
    WatchResponse refused = WatchResponse.newBuilder().setHeader(header(12)).setWatchId(-1).setCreated(true)
        .setCanceled(true).setCancelReason("mvcc: watcher range is empty").build();
    assertThat(print(WatchGrpc.getWatchMethod(), refused)).isEqualTo("{" + HEADER
        + "\"revision\":\"12\",\"raft_term\":\"2\"},\"watch_id\":\"-1\",\"created\":true,\"canceled\":true,"
        + "\"cancel_reason\":\"mvcc: watcher range is empty\"}");
  }

  @Test
  void printsAPresentEmptyMessageAndInnerHeadersWithOnlyARevision() {
    TxnResponse txn = TxnResponse.newBuilder().setHeader(header(12))
        .addResponses(ResponseOp.newBuilder().setResponseDeleteRange(
            io.etcd.jetcd.api.DeleteRangeResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setRevision(12))))
        .addResponses(ResponseOp.newBuilder().setResponsePut(
            io.etcd.jetcd.api.PutResponse.newBuilder().setHeader(ResponseHeader.getDefaultInstance())))
        .build();
    assertThat(print(KVGrpc.getTxnMethod(), txn)).isEqualTo("{" + HEADER
        + "\"revision\":\"12\",\"raft_term\":\"2\"},\"responses\":[{\"response_delete_range\":{\"header\":"
        + "{\"revision\":\"12\"}}},{\"response_put\":{\"header\":{}}}]}");
  }

  @Test
  void printsFieldsJetcdLacksByEtcdsNames() {
    // Keel carries raftAppliedIndex (7) and dbSizeInUse (9) as unknown fields
    StatusResponse status = StatusResponse.newBuilder().setHeader(header(8)).setVersion("3.4.23")
        .setDbSize(20480).setLeader(MEMBER).setRaftIndex(18).setRaftTerm(2)
        .setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(7, UnknownFieldSet.Field.newBuilder().addVarint(18).build())
            .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(16384).build())
            .build())
        .build();
    assertThat(print(MaintenanceGrpc.getStatusMethod(), status)).isEqualTo("{" + HEADER
        + "\"revision\":\"8\",\"raft_term\":\"2\"},\"version\":\"3.4.23\",\"dbSize\":\"20480\","
        + "\"leader\":\"13668033151171901709\",\"raftIndex\":\"18\",\"raftTerm\":\"2\",\"raftAppliedIndex\":\"18\","
        + "\"dbSizeInUse\":\"16384\"}");
  }

  @Test
  void printsMembersUnderTheirProtoNames() {
    MemberListResponse list = MemberListResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setClusterId(CLUSTER).setMemberId(MEMBER).setRaftTerm(2))
        .addMembers(Member.newBuilder().setID(MEMBER).setName("default").addPeerURLs("http://127.0.0.1:23801")
            .addClientURLs("http://127.0.0.1:23791"))
        .build();
    assertThat(print(ClusterGrpc.getMemberListMethod(), list)).isEqualTo("{" + HEADER
        + "\"raft_term\":\"2\"},\"members\":[{\"ID\":\"13668033151171901709\",\"name\":\"default\","
        + "\"peerURLs\":[\"http://127.0.0.1:23801\"],\"clientURLs\":[\"http://127.0.0.1:23791\"]}]}");
  }

  @Test
  void escapesStringsAsGoDoes() {
    StringBuilder out = new StringBuilder();
    GoQuote.appendJsonString(out, "a<b>&\"c\\\n\r\t\u0001\u2028é\uD83D\uDE00\uD800");
    assertThat(out.toString())
        .isEqualTo("\"a\\u003cb\\u003e\\u0026\\\"c\\\\\\n\\r\\t\\u0001\\u2028é\uD83D\uDE00\\ufffd\"");
  }

  // --- reading ---

  @Test
  void readsProtoAndCamelNamesQuotedIntegersAndEnumsByNameOrNumber() throws Exception {
    assertThat(parse(KVGrpc.getPutMethod(), "{\"key\":\"Zm9v\",\"value\":\"YmFy\",\"prev_kv\":true}"))
        .isEqualTo(PutRequest.newBuilder().setKey(bytes("foo")).setValue(bytes("bar")).setPrevKv(true).build());
    // both names: the camel one wins (etcd returned the previous value)
    assertThat(parse(KVGrpc.getPutMethod(), "{\"key\":\"cTE=\",\"prevKv\":true,\"prev_kv\":false}").getPrevKv())
        .isTrue();
    assertThat(parse(LeaseGrpc.getLeaseGrantMethod(), "{\"TTL\":60,\"ID\":\"1000\"}"))
        .isEqualTo(LeaseGrantRequest.newBuilder().setTTL(60).setID(1000).build());
    assertThat(parse(KVGrpc.getRangeMethod(),
        "{\"key\":\"Zm9v\",\"range_end\":\"Zm9w\",\"limit\":\" 1\",\"sort_order\":\"DESCEND\",\"sort_target\":3,"
            + "\"count_only\":true,\"keys_only\":null,\"bogus\":{\"x\":[1]}}"))
        .isEqualTo(RangeRequest.newBuilder().setKey(bytes("foo")).setRangeEnd(bytes("fop")).setLimit(1)
            .setSortOrder(RangeRequest.SortOrder.DESCEND).setSortTarget(RangeRequest.SortTarget.MOD)
            .setCountOnly(true).build());
    // an unknown enum number passes (etcd answered it), a repeated name: the last wins, bytes as numbers
    assertThat(parse(KVGrpc.getRangeMethod(), "{\"key\":\"Zm9v\",\"key\":[99,49],\"sort_order\":9}"))
        .isEqualTo(RangeRequest.newBuilder().setKey(bytes("c1")).setSortOrderValue(9).build());
    assertThat(parse(KVGrpc.getRangeMethod(), "null")).isEqualTo(RangeRequest.getDefaultInstance());
    assertThat(parse(KVGrpc.getRangeMethod(), "{\"key\":\"Zm9v\\n\"}").getKey()).isEqualTo(bytes("foo"));
  }

  @Test
  void readsOneofsAndFieldsJetcdLacks() throws Exception {
    TxnRequest txn = parse(KVGrpc.getTxnMethod(), "{\"compare\":[{\"key\":\"Zm9v\",\"result\":\"EQUAL\","
        + "\"target\":\"VERSION\",\"version\":0},{\"key\":\"Zm9v\",\"target\":\"LEASE\",\"lease\":\"7\"}],"
        + "\"success\":[{\"requestPut\":{\"key\":\"Zm9v\",\"value\":\"MQ==\"}}],"
        + "\"failure\":[{\"request_range\":{\"key\":\"Zm9v\"}},{\"request_delete_range\":null}]}");
    // version 0 is set (the oneof is chosen), a null message leaves the oneof empty
    assertThat(txn.getCompare(0).getTargetUnionCase()).isEqualTo(Compare.TargetUnionCase.VERSION);
    assertThat(txn.getCompare(1).getTargetValue()).isEqualTo(4); // LEASE
    assertThat(txn.getCompare(1).getUnknownFields().getField(8).getVarintList()).containsExactly(7L);
    assertThat(txn.getSuccess(0).getRequestPut().getValue()).isEqualTo(bytes("1"));
    assertThat(txn.getFailure(0).getRequestCase()).isEqualTo(RequestOp.RequestCase.REQUEST_RANGE);
    assertThat(txn.getFailure(1).getRequestCase()).isEqualTo(RequestOp.RequestCase.REQUEST_NOT_SET);

    WatchRequest watch = parse(WatchGrpc.getWatchMethod(),
        "{\"create_request\":{\"key\":\"Zm9v\",\"watch_id\":5,\"fragment\":true,\"filters\":[\"NODELETE\"]}}");
    WatchCreateRequest create = watch.getCreateRequest();
    assertThat(create.getFiltersList()).containsExactly(WatchCreateRequest.FilterType.NODELETE);
    assertThat(create.getUnknownFields().getField(7).getVarintList()).containsExactly(5L);
    assertThat(create.getUnknownFields().getField(8).getVarintList()).containsExactly(1L);
  }

  @Test
  void typeErrorsAreEtcdsTexts() {
    assertRangeError("{\"key\":1}", "json: cannot unmarshal number into Go value of type []uint8");
    assertRangeError("{\"key\":\"!!!\"}", "illegal base64 data at input byte 0");
    assertRangeError("{\"key\":[102,111,300]}", "json: cannot unmarshal number 300 into Go value of type uint8");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":\"x\"}", "invalid character 'x' looking for beginning of value");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":1.5}", "json: cannot unmarshal number 1.5 into Go value of type int64");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":\"1.5\"}",
        "json: cannot unmarshal number 1.5 into Go value of type int64");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":\"\"}", "unexpected end of JSON input");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":\"1 2\"}", "invalid character '2' after top-level value");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":\"\\u0031\"}", "invalid character '\\\\' looking for beginning of value");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":true}", "json: cannot unmarshal bool into Go value of type int64");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":[1]}", "json: cannot unmarshal array into Go value of type int64");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":{}}", "json: cannot unmarshal object into Go value of type int64");
    assertRangeError("{\"key\":\"Zm9v\",\"limit\":99999999999999999999}",
        "json: cannot unmarshal number 99999999999999999999 into Go value of type int64");
    assertRangeError("{\"key\":\"Zm9v\",\"sort_order\":true}",
        "json: cannot unmarshal bool into Go value of type etcdserverpb.RangeRequest_SortOrder");
    assertRangeError("{\"key\":\"Zm9v\",\"sort_order\":\"BAD\"}",
        "unknown value \"BAD\" for enum etcdserverpb.RangeRequest_SortOrder");
    assertRangeError("{\"key\":\"Zm9v\",\"sort_order\":\"ASC\\u0045ND\"}",
        "unknown value \"ASC\\\\u0045ND\" for enum etcdserverpb.RangeRequest_SortOrder");
    assertRangeError("{\"key\":\"Zm9v\",\"sort_order\":1e2}",
        "json: cannot unmarshal number 1e2 into Go value of type etcdserverpb.RangeRequest_SortOrder");
    assertRangeError("{\"key\":\"Zm9v\",\"keys_only\":\"true\"}", "json: cannot unmarshal string into Go value of type bool");
    assertRangeError("{\"key\":\"Zm9v\",\"keys_only\":1}", "json: cannot unmarshal number into Go value of type bool");
    // fields are read in declaration order: limit (3) before revision (4) before keys_only (8)
    assertRangeError("{\"key\":\"Zm9v\",\"keys_only\":1,\"revision\":true,\"limit\":\"2\"}",
        "json: cannot unmarshal bool into Go value of type int64");
    assertRangeError("[]", "json: cannot unmarshal array into Go value of type map[string]json.RawMessage");
    assertRangeError("1", "json: cannot unmarshal number into Go value of type map[string]json.RawMessage");
    assertRangeError("\"str\"", "json: cannot unmarshal string into Go value of type map[string]json.RawMessage");
  }

  @Test
  void nestedTypeErrorsAreEtcdsTexts() {
    assertThatThrownBy(() -> parse(KVGrpc.getTxnMethod(), "{\"compare\":{}}"))
        .hasMessage("json: cannot unmarshal object into Go value of type []json.RawMessage");
    assertThatThrownBy(() -> parse(KVGrpc.getTxnMethod(), "{\"compare\":[1]}"))
        .hasMessage("json: cannot unmarshal number into Go value of type map[string]json.RawMessage");
    assertThatThrownBy(() -> parse(KVGrpc.getTxnMethod(), "{\"success\":[{\"request_put\":\"x\"}]}"))
        .hasMessage("json: cannot unmarshal string into Go value of type map[string]json.RawMessage");
    assertThatThrownBy(() -> parse(WatchGrpc.getWatchMethod(),
        "{\"create_request\":{\"key\":\"Zm9v\",\"filters\":[\"NOPUT\",\"BAD\"]}}"))
        .hasMessage("unknown value \"BAD\" for enum etcdserverpb.WatchCreateRequest_FilterType");
    assertThatThrownBy(() -> parse(WatchGrpc.getWatchMethod(),
        "{\"create_request\":{\"key\":\"Zm9v\",\"filters\":\"NOPUT\"}}"))
        .hasMessage("invalid target \"slice\" for enum etcdserverpb.WatchCreateRequest_FilterType");
  }

  // --- envelopes ---

  @Test
  void errorBodiesAndStatusesAreGrpcGatewaysAsEtcdBuiltIt() {
    assertThat(GatewayBodies.error(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided")).isEqualTo(
        "{\"error\":\"etcdserver: key is not provided\",\"message\":\"etcdserver: key is not provided\",\"code\":3}");
    assertThat(GatewayBodies.error(Status.Code.UNKNOWN, null)).isEqualTo("{\"code\":2}");
    assertThat(GatewayBodies.httpStatus(Status.Code.INVALID_ARGUMENT)).isEqualTo(400);
    assertThat(GatewayBodies.httpStatus(Status.Code.OUT_OF_RANGE)).isEqualTo(400); // compacted, future revision
    assertThat(GatewayBodies.httpStatus(Status.Code.NOT_FOUND)).isEqualTo(404); // lease not found
    assertThat(GatewayBodies.httpStatus(Status.Code.FAILED_PRECONDITION)).isEqualTo(412); // lease already exists
    assertThat(GatewayBodies.httpStatus(Status.Code.UNKNOWN)).isEqualTo(500); // unreadable watch request
    assertThat(GatewayBodies.httpStatus(Status.Code.UNIMPLEMENTED)).isEqualTo(501);
    assertThat(GatewayBodies.httpStatus(Status.Code.UNAVAILABLE)).isEqualTo(503);
    assertThat(GatewayBodies.result("{}")).isEqualTo("{\"result\":{}}\n");
    assertThat(GatewayBodies.streamError(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"))
        .isEqualTo("{\"error\":{\"grpc_code\":5,\"http_code\":404,\"message\":\"etcdserver: requested lease not found\","
            + "\"http_status\":\"Not Found\"}}");
  }

  @Test
  void pathsMatchAsGrpcGatewayMatchesThem() {
    assertThat(GatewayRoutes.pattern("/v3beta/kv/range")).isEqualTo("/v3/kv/range");
    assertThat(GatewayRoutes.pattern("/v3/kv/range:")).isEqualTo("/v3/kv/range");
    assertThat(GatewayRoutes.pattern("/v3/kv/range:get")).isNull();
    assertThat(GatewayRoutes.pattern("/v3/kv/:range")).isNull();
    assertThat(GatewayRoutes.PATHS.get(GatewayRoutes.pattern("/v3/kv/lease/leases")))
        .isEqualTo("etcdserverpb.Lease/LeaseLeases");
  }
}
