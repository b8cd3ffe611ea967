package keel.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class EtcdUrlsTest {
  @Test
  void listsKeepOrderTrimAndDropDuplicates() {
    assertThat(EtcdUrls.parse("http://b:1, http://a:2,http://b:1"))
        .containsExactly(URI.create("http://b:1"), URI.create("http://a:2"));
  }

  @Test
  void hostAndPortWorkWhereUriDoesNot() {
    URI url = EtcdUrls.parse("http://keel_node1:2380").get(0);
    assertThat(url.getHost()).isNull(); // why EtcdUrls.host exists
    assertThat(EtcdUrls.host(url)).isEqualTo("keel_node1");
    assertThat(EtcdUrls.port(url)).isEqualTo(2380);
    URI v6 = EtcdUrls.parse("https://[fe80::1]:2379").get(0);
    assertThat(EtcdUrls.host(v6)).isEqualTo("fe80::1");
  }

  @Test
  void refusals() {
    assertThatThrownBy(() -> EtcdUrls.parse("localhost:2379"))
        .hasMessage("URL scheme must be http, https, unix, or unixs: localhost:2379");
    assertThatThrownBy(() -> EtcdUrls.parse("http://h:port"))
        .hasMessage("URL address does not have the form \"host:port\": http://h:port");
    assertThatThrownBy(() -> EtcdUrls.parse("http://::1:2379"))
        .hasMessage("URL address does not have the form \"host:port\": http://::1:2379");
    assertThatThrownBy(() -> EtcdUrls.parse("http://h:1/x"))
        .hasMessage("URL must not contain a path: http://h:1/x");
    assertThatThrownBy(() -> EtcdUrls.parse("unix:///run/etcd.sock"))
        .as("etcd wants host:port of a unix URL too: the socket file's name")
        .hasMessage("URL address does not have the form \"host:port\": unix:///run/etcd.sock");
  }

  @Test
  void unixUrlsNameASocketFileAndAreNotCheckedAsHosts() {
    List<URI> urls = EtcdUrls.parse("unix://sock:1,unixs://localhost:2379");
    EtcdUrls.checkBind(urls);
    assertThat(urls).allMatch(EtcdUrls::isUnix);
    assertThat(EtcdUrls.isSecure(urls.get(1))).isTrue();
    assertThat(EtcdUrls.isSecure(urls.get(0))).isFalse();
  }

  @Test
  void bindUrlsNeedAnIpOrLocalhost() {
    EtcdUrls.checkBind(EtcdUrls.parse("http://localhost:1,http://0.0.0.0:2,http://[::]:3"));
    assertThatThrownBy(() -> EtcdUrls.checkBind(List.of(URI.create("http://example.com:1"))))
        .hasMessage("expected IP in URL for binding (http://example.com:1)");
    assertThatThrownBy(() -> EtcdUrls.checkBind(List.of(URI.create("http://256.1.1.1:1"))))
        .hasMessage("expected IP in URL for binding (http://256.1.1.1:1)");
  }
}
