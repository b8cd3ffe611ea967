package keel.server.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GoPathRedirectTest {
  @Test
  void cleanPathIsGosWhatEtcdRedirectedToOn3_4_23() {
    assertThat(GoPathRedirect.cleanPath("/v2/keys//a")).isEqualTo("/v2/keys/a");
    assertThat(GoPathRedirect.cleanPath("/v2/keys/a/../b")).isEqualTo("/v2/keys/b");
    assertThat(GoPathRedirect.cleanPath("/v2/keys/./a")).isEqualTo("/v2/keys/a");
    assertThat(GoPathRedirect.cleanPath("/v2/keys/a/.")).isEqualTo("/v2/keys/a");
    assertThat(GoPathRedirect.cleanPath("/v2/keys/..")).isEqualTo("/v2");
    assertThat(GoPathRedirect.cleanPath("/.")).isEqualTo("/");
    assertThat(GoPathRedirect.cleanPath("//version")).isEqualTo("/version");
  }

  @Test
  void theRedirectKeepsAQueryButNotABareQuestionMark() {
    assertThat(GoPathRedirect.redirectQuery("wait=true")).isEqualTo("?wait=true");
    assertThat(GoPathRedirect.redirectQuery("")).as("GET /v2/keys//a? -> Location /v2/keys/a").isEmpty();
    assertThat(GoPathRedirect.redirectQuery(null)).isEmpty();
  }

  @Test
  void cleanPathsStayAndATrailingSlashIsKept() {
    assertThat(GoPathRedirect.cleanPath("/v2/keys/a/")).isEqualTo("/v2/keys/a/");
    assertThat(GoPathRedirect.cleanPath("/v2//keys/a/")).isEqualTo("/v2/keys/a/");
    assertThat(GoPathRedirect.cleanPath("/")).isEqualTo("/");
    assertThat(GoPathRedirect.cleanPath("/../a")).as("nothing above the root").isEqualTo("/a");
    assertThat(GoPathRedirect.cleanPath("/a/..b/c")).as("..b is a name").isEqualTo("/a/..b/c");
  }

  @Test
  void pathsAreDecodedToCleanAndEscapedAgainAsGoDoes() {
    assertThat(GoPathRedirect.unescape("/v2/keys/a%2F%2Fb")).isEqualTo("/v2/keys/a//b");
    assertThat(GoPathRedirect.unescape("/a+b")).isEqualTo("/a+b");
    assertThat(GoPathRedirect.unescape("/a%zz")).isNull();
    assertThat(GoPathRedirect.escape("/v2/keys/a b?c")).isEqualTo("/v2/keys/a%20b%3Fc");
    assertThat(GoPathRedirect.escape("/k/$&+,:;=@-_.~")).isEqualTo("/k/$&+,:;=@-_.~");
    assertThat(GoPathRedirect.escape("/é!")).isEqualTo("/%C3%A9%21");
  }

  /** Found by HttpFuzzIT: {@code GET /v2/keys/fuzz//%ff} is redirected to {@code /v2/keys/fuzz/%FF} by etcd. */
  @Test
  void bytesThatAreNotUtf8AreEscapedAgainAsTheyCame() {
    assertThat(GoPathRedirect.unescapeBytes("/a%ff%e2%82")).containsExactly('/', 'a', 0xff, 0xe2, 0x82);
    assertThat(GoPathRedirect.escapeBytes(new byte[] {'/', 'a', (byte) 0xff})).isEqualTo("/a%FF");
  }
}
