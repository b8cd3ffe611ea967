package keel.server.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import keel.server.command.Command;
import keel.server.command.V2Request;
import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;
import org.junit.jupiter.api.Test;

/** etcd 3.4's parseKeyRequest: which parameter is refused with which code and cause, in which order. */
class V2KeyRequestTest {
  private static V2KeyRequest parse(String method, String path, String query) {
    GoForm.Parsed form = GoForm.parse(query);
    assertThat(form.error()).isNull();
    return V2KeyRequest.parse(method, path, form.values());
  }

  private static V2Exception refused(String method, String query) {
    return catchThrowableOfType(V2Exception.class, () -> parse(method, "/k", query));
  }

  @Test
  void badParametersAnswerEtcdsCodesAndCauses() {
    assertThat(refused("GET", "prevIndex=x")).satisfies(e -> {
      assertThat(e.error()).isEqualTo(V2Error.INDEX_NAN);
      assertThat(e.errorCause()).isEqualTo("invalid value for \"prevIndex\"");
      assertThat(e.index()).isZero();
    });
    assertThat(refused("GET", "waitIndex=-1").errorCause()).isEqualTo("invalid value for \"waitIndex\"");
    assertThat(refused("GET", "recursive=yes")).satisfies(e -> {
      assertThat(e.error()).isEqualTo(V2Error.INVALID_FIELD);
      assertThat(e.errorCause()).isEqualTo("invalid value for \"recursive\"");
    });
    assertThat(refused("PUT", "wait=true").errorCause()).isEqualTo("\"wait\" can only be used with GET requests");
    assertThat(refused("PUT", "prevValue=").error()).isEqualTo(V2Error.PREV_VALUE_REQUIRED);
    assertThat(refused("PUT", "ttl=abc")).satisfies(e -> {
      assertThat(e.error()).isEqualTo(V2Error.TTL_NAN);
      assertThat(e.errorCause()).isEqualTo("invalid value for \"ttl\"");
    });
    assertThat(refused("PUT", "prevExist=maybe").errorCause()).isEqualTo("invalid value for prevExist");
    assertThat(refused("PUT", "refresh=true&value=v&ttl=5").error()).isEqualTo(V2Error.REFRESH_VALUE);
    assertThat(refused("PUT", "refresh=true").error()).isEqualTo(V2Error.REFRESH_TTL_REQUIRED);
    // checked in etcd's order: prevIndex before recursive
    assertThat(refused("GET", "recursive=x&prevIndex=x").error()).isEqualTo(V2Error.INDEX_NAN);
  }

  @Test
  void emptyTtlIsNoTtlAndUnknownParametersAreIgnored() {
    V2KeyRequest r = parse("PUT", "/a", "ttl=&value=v&bogus=1");
    assertThat(r.ttlSeconds()).isNull();
    assertThat(r.command(5_000_000_000L).getV2().getExpiration()).isZero();
  }

  @Test
  void writesCarryTheDoorsClock() {
    long now = 1_767_225_600_000_000_000L;
    Command c = parse("PUT", "/dir/a", "value=1&ttl=5&prevExist=false").command(now);
    V2Request r = c.getV2();
    assertThat(r.getMethod()).isEqualTo(V2Request.Method.PUT);
    assertThat(r.getPath()).isEqualTo("/dir/a");
    assertThat(r.getExpiration()).isEqualTo(now + 5_000_000_000L);
    assertThat(r.getTime()).isEqualTo(now);
    assertThat(r.hasPrevExist()).isTrue();
    assertThat(r.getPrevExist()).isFalse();
    assertThat(parse("PUT", "/a", "value=1").command(now).getV2().hasPrevExist()).isFalse();
  }

  @Test
  void theRootIsSlash() {
    assertThat(parse("GET", "", "").key()).isEqualTo("/");
  }

  @Test
  void formsReadLikeGo() {
    GoForm.Parsed p = GoForm.parse("value=a+b%21&value=second&&x");
    assertThat(p.values()).isEqualTo(Map.of("value", List.of("a b!", "second"), "x", List.of("")));
    assertThat(p.error()).isNull();
    GoForm.Parsed bad = GoForm.parse("a=%zz&b=1&c=2;d=3");
    assertThat(bad.error()).isEqualTo("invalid URL escape \"%zz\"");
    assertThat(bad.values()).containsOnlyKeys("b");
    assertThat(GoForm.parse("c=2;d=3").error()).isEqualTo("invalid semicolon separator in query");
    assertThat(GoForm.parse("a=%4").error()).isEqualTo("invalid URL escape \"%4\"");
    assertThat(GoForm.merge(Map.of("value", List.of("body")), Map.of("value", List.of("query"))).get("value"))
        .containsExactly("body", "query");
  }
}
