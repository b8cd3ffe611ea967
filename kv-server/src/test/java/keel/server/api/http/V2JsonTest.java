package keel.server.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Collectors;
import keel.server.errors.V2Error;
import keel.server.v2store.V2Event;
import keel.server.v2store.V2Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Literals captured with curl from Debian's etcd 3.4.23 started by hand with
 * {@code --enable-v2=true} on 127.0.0.1:23791 (see V2StoreEtcdTranscriptTest for the session).
 */
@Timeout(10)
class V2JsonTest {
  static long t(String rfc3339) {
    Instant i = Instant.parse(rfc3339);
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  @Test
  void expirationIsGoRfc3339NanoInUtc() {
    // curl -X PUT /v2/keys/r -d ttl=300 -d refresh=true: "2026-11-25T09:51:25.61592225Z"
    assertThat(V2Json.rfc3339Nano(t("2026-11-25T09:51:25.615922250Z")))
        .isEqualTo("2026-11-25T09:51:25.61592225Z");
    assertThat(V2Json.rfc3339Nano(t("2026-11-25T09:39:45.579990683Z")))
        .isEqualTo("2026-11-25T09:39:45.579990683Z");
    assertThat(V2Json.rfc3339Nano(t("2026-01-02T03:04:05Z"))).isEqualTo("2026-01-02T03:04:05Z");
    assertThat(V2Json.rfc3339Nano(t("2026-01-02T03:04:05.5Z")))
        .isEqualTo("2026-01-02T03:04:05.5Z");
    assertThat(V2Json.rfc3339Nano(t("2026-01-02T03:04:05.000000001Z")))
        .isEqualTo("2026-01-02T03:04:05.000000001Z");
  }

  @Test
  void setWithRefreshIsASetWithItsPrevNode() {
    // curl -X PUT /v2/keys/r -d value=rv -d ttl=100; then -d ttl=300 -d refresh=true
    V2Store s = new V2Store(1061, 1000, Runnable::run);
    long exp1 = t("2026-11-25T09:48:05.60772873Z");
    s.set("/r", false, "rv", exp1, false, exp1 - 100_000_000_000L);
    long exp2 = t("2026-11-25T09:51:25.61592225Z");
    assertThat(V2Json.event(s.set("/r", false, "", exp2, true, exp2 - 300_000_000_000L)))
        .isEqualTo("{\"action\":\"set\",\"node\":{\"key\":\"/r\",\"value\":\"rv\",\"expiration\":\"2026-11-25T09:51:25.61592225Z\",\"ttl\":300,\"modifiedIndex\":1063,\"createdIndex\":1063},\"prevNode\":{\"key\":\"/r\",\"value\":\"rv\",\"expiration\":\"2026-11-25T09:48:05.60772873Z\",\"ttl\":100,\"modifiedIndex\":1062,\"createdIndex\":1062}}\n");
  }

  @Test
  void rootGetAndRootPost() {
    V2Store s = new V2Store(3, 1000, Runnable::run);
    // curl /v2/keys/ on a fresh member
    assertThat(V2Json.event(s.get("/", false, false, 0)))
        .isEqualTo("{\"action\":\"get\",\"node\":{\"dir\":true}}\n");
    s.set("/x", false, "1", 0, false, 0);
    assertThat(V2Json.event(s.create("/", false, "rootq", true, 0, 0)))
        .isEqualTo("{\"action\":\"create\",\"node\":{\"key\":\"/00000000000000000005\",\"value\":\"rootq\",\"modifiedIndex\":5,\"createdIndex\":5}}\n");
  }

  @Test
  void noValueOnSuccessLeavesTheActionAlone() {
    V2Store s = new V2Store();
    V2Event set = s.set("/a", false, "1", 0, false, 0);
    assertThat(V2Json.event(set, true)).isEqualTo("{\"action\":\"set\"}\n");
    V2Event del = s.delete("/a", false, false, 0);
    assertThat(V2Json.event(del, true)).isEqualTo(V2Json.event(del));
  }

  @Test
  void requestErrorsPrintIndexZero() {
    // curl -X PUT /v2/keys/t -d value=y -d ttl=abc
    assertThat(V2Json.error(V2Error.TTL_NAN.requestError("invalid value for \"ttl\"")))
        .isEqualTo("{\"errorCode\":202,\"message\":\"The given TTL in POST form is not a number\",\"cause\":\"invalid value for \\\"ttl\\\"\",\"index\":0}\n");
    // curl -X PUT '/v2/keys/t?prevValue=' -d value=y
    assertThat(V2Json.error(V2Error.PREV_VALUE_REQUIRED.requestError("\"prevValue\" cannot be empty")))
        .isEqualTo("{\"errorCode\":201,\"message\":\"PrevValue is Required in POST form\",\"cause\":\"\\\"prevValue\\\" cannot be empty\",\"index\":0}\n");
    // curl -X PUT /v2/keys/t -d value=y -d refresh=true
    assertThat(V2Json.error(V2Error.REFRESH_VALUE.requestError("A value was provided on a refresh")))
        .isEqualTo("{\"errorCode\":211,\"message\":\"Value provided on refresh\",\"cause\":\"A value was provided on a refresh\",\"index\":0}\n");
  }

  @Test
  void stringsAreEscapedAsGo119Does() {
    StringBuilder sb = new StringBuilder();
    V2Json.appendString(sb, "\u0000\u001f<>&\u2028\u2029\u007f\uD800x\uDC00\"\\/");
    assertThat(sb.toString()).isEqualTo(
        "\"\\u0000\\u001f\\u003c\\u003e\\u0026\\u2028\\u2029\u007f\\ufffdx\\ufffd\\\"\\\\/\"");
  }

  @Test
  void errorTableMatchesEtcd() {
    // etcdserver/api/v2error/error.go: only these codes have a status of their own, all else 400
    String statuses = Arrays.stream(V2Error.values()).filter(e -> e.httpStatus() != 400)
        .map(e -> e.code() + "=" + e.httpStatus()).collect(Collectors.joining(","));
    assertThat(statuses).isEqualTo("100=404,101=412,102=403,105=412,108=403,110=401,300=500,301=500");
    assertThat(Arrays.stream(V2Error.values()).map(V2Error::code).toList()).containsExactly(
        100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
        200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212,
        300, 301, 400, 401, 402, 403, 404, 500);
    assertThat(V2Error.ofCode(401).message())
        .isEqualTo("The event in requested index is outdated and cleared");
    assertThat(V2Error.ofCode(212).message()).isEqualTo("A TTL must be provided on refresh");
  }
}
