package keel.server.api.http.gateway;

import keel.server.api.http.GoQuote;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request bodies read as Go's json.Decoder reads them. Every error text below is what etcd 3.4.23's
 * gateway answered for that body ({@code curl -X POST /v3/kv/range -d BODY}).
 */
@Timeout(10)
class GoJsonStreamTest {
  private static GoJsonStream.Next first(String body) {
    GoJsonStream stream = new GoJsonStream();
    stream.feed(body.getBytes(StandardCharsets.ISO_8859_1));
    stream.end();
    return stream.next();
  }

  private static String error(String body) {
    GoJsonStream.Next next = first(body);
    assertThat(next.kind()).as(body).isEqualTo(GoJsonStream.Kind.ERROR);
    return next.error();
  }

  private static String value(GoJsonStream.Next next) {
    assertThat(next.kind()).isEqualTo(GoJsonStream.Kind.VALUE);
    return new String(next.value(), StandardCharsets.ISO_8859_1);
  }

  @Test
  void syntaxErrorsAreGosWords() {
    assertThat(error("{bad")).isEqualTo("invalid character 'b' looking for beginning of object key string");
    assertThat(error("x")).isEqualTo("invalid character 'x' looking for beginning of value");
    assertThat(error("{\"key\":\"Zm9v\",}"))
        .isEqualTo("invalid character '}' looking for beginning of object key string");
    assertThat(error("{\"key\" \"Zm9v\"}")).isEqualTo("invalid character '\"' after object key");
    assertThat(error("{\"key\":\"Zm9v\" \"a\":1}")).isEqualTo("invalid character '\"' after object key:value pair");
    assertThat(error("{\"key\":\"Zm9v\",\"unknown\":{\"x\":[1,2}}"))
        .isEqualTo("invalid character '}' after array element");
    assertThat(error("[\"a\" 1]")).isEqualTo("invalid character '1' after array element");
    assertThat(error("{\"key\":tru}")).isEqualTo("invalid character '}' in literal true (expecting 'e')");
    assertThat(error("{\"v\":fals}")).isEqualTo("invalid character '}' in literal false (expecting 'e')");
    assertThat(error("{\"v\":nul}")).isEqualTo("invalid character '}' in literal null (expecting 'l')");
    assertThat(error("{\"key\":\"\\x\"}")).isEqualTo("invalid character 'x' in string escape code");
    assertThat(error("{\"v\":\"\\u12\"}")).isEqualTo("invalid character '\"' in \\u hexadecimal character escape");
    assertThat(error("{\"key\":01}")).isEqualTo("invalid character '1' after object key:value pair");
    assertThat(error("{\"key\":-}")).isEqualTo("invalid character '}' in numeric literal");
    assertThat(error("{\"v\":-a}")).isEqualTo("invalid character 'a' in numeric literal");
    assertThat(error("{\"key\":1.}")).isEqualTo("invalid character '}' after decimal point in numeric literal");
    assertThat(error("{\"key\":1e}")).isEqualTo("invalid character '}' in exponent of numeric literal");
    assertThat(error("{\"v\":1.2e+}")).isEqualTo("invalid character '}' in exponent of numeric literal");
    assertThat(error("{\"v\":[1,]}")).isEqualTo("invalid character ']' looking for beginning of value");
    assertThat(error("{\"key\":\"a,,}")).isEqualTo("unexpected EOF");
  }

  @Test
  void oddBytesAreQuotedAsGoQuotesARune() {
    assertThat(error("{\"x\":\"\u0001\"}")).isEqualTo("invalid character '\\x01' in string literal");
    assertThat(error("{\u00c3}")).isEqualTo("invalid character 'Ã' looking for beginning of object key string");
    assertThat(error("{\u007f}")).isEqualTo("invalid character '\\x7f' looking for beginning of object key string");
    assertThat(error("{'}")).isEqualTo("invalid character '\\'' looking for beginning of object key string");
    assertThat(error("{\u0085}")).isEqualTo("invalid character '\\u0085' looking for beginning of object key string");
  }

  @Test
  void aBodyEndingInsideAValueIsUnexpectedEof() {
    assertThat(error("{\"key\":\"Zm9v\"")).isEqualTo("unexpected EOF");
    assertThat(error("\"abc")).isEqualTo("unexpected EOF");
    assertThat(error("{\"v\":[{\"a\":1}")).isEqualTo("unexpected EOF");
  }

  @Test
  void anEmptyOrBlankBodyIsEof() {
    assertThat(first("").kind()).isEqualTo(GoJsonStream.Kind.EOF);
    assertThat(first("  \n\t ").kind()).isEqualTo(GoJsonStream.Kind.EOF);
  }

  @Test
  void onlyTheFirstValueIsReadAndWhatFollowsWaits() {
    // etcd answers {"key":"Zm9v"} garbage as a good range of foo
    GoJsonStream stream = new GoJsonStream();
    stream.feed("  {\"key\":\"Zm9v\"} garbage".getBytes(StandardCharsets.US_ASCII));
    stream.end();
    assertThat(value(stream.next())).isEqualTo("{\"key\":\"Zm9v\"}");
    assertThat(stream.next().error()).isEqualTo("invalid character 'g' looking for beginning of value");
  }

  @Test
  void valuesFollowEachOtherAndNumbersEndAtTheNextByte() {
    GoJsonStream stream = new GoJsonStream();
    stream.feed("{\"a\":1} {\"b\":2}\n[3] 42 true\"s\"null".getBytes(StandardCharsets.US_ASCII));
    stream.end();
    List<String> values = new ArrayList<>();
    for (GoJsonStream.Next next = stream.next(); next.kind() == GoJsonStream.Kind.VALUE; next = stream.next()) {
      values.add(value(next));
    }
    assertThat(values).containsExactly("{\"a\":1}", "{\"b\":2}", "[3]", "42", "true", "\"s\"", "null");
    assertThat(stream.next().kind()).isEqualTo(GoJsonStream.Kind.EOF);
  }

  @Test
  void aBodyArrivingInPiecesYieldsEachValueOnceComplete() {
    GoJsonStream stream = new GoJsonStream();
    stream.feed("{\"create_request\":{\"ke".getBytes(StandardCharsets.US_ASCII));
    assertThat(stream.next()).isEqualTo(GoJsonStream.Next.MORE);
    stream.feed("y\":\"Zm9v\"}}{\"cancel_request\":".getBytes(StandardCharsets.US_ASCII));
    assertThat(value(stream.next())).isEqualTo("{\"create_request\":{\"key\":\"Zm9v\"}}");
    assertThat(stream.next()).isEqualTo(GoJsonStream.Next.MORE);
    stream.feed("{\"watch_id\":1}}".getBytes(StandardCharsets.US_ASCII));
    assertThat(value(stream.next())).isEqualTo("{\"cancel_request\":{\"watch_id\":1}}");
    assertThat(stream.next()).isEqualTo(GoJsonStream.Next.MORE);
    stream.end();
    assertThat(stream.next().kind()).isEqualTo(GoJsonStream.Kind.EOF);
  }

  @Test
  void aNumberAtTheEndOfTheBodyIsComplete() {
    GoJsonStream stream = new GoJsonStream();
    stream.feed("12".getBytes(StandardCharsets.US_ASCII));
    assertThat(stream.next()).isEqualTo(GoJsonStream.Next.MORE);
    stream.end();
    assertThat(value(stream.next())).isEqualTo("12");
  }

  @Test
  void checkValidIsUnmarshalsCheck() {
    // jsonpb strips a quoted number's quotes and unmarshals the rest: "limit":"1 2", "limit":""
    assertThat(GoJsonScanner.checkValid("1 2".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("invalid character '2' after top-level value");
    assertThat(GoJsonScanner.checkValid(new byte[0])).isEqualTo("unexpected end of JSON input");
    assertThat(GoJsonScanner.checkValid("-".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("invalid character ' ' in numeric literal");
    assertThat(GoJsonScanner.checkValid("{".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("unexpected end of JSON input");
    assertThat(GoJsonScanner.checkValid(" 1 ".getBytes(StandardCharsets.US_ASCII))).isNull();
  }
}
