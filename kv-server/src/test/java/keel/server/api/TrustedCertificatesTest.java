package keel.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import keel.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whom a port trusts: a self-signed certificate (its own CA here) is trusted when its file is the
 * trusted CA, and then only with the allowed host name or common name when one is set.
 */
class TrustedCertificatesTest {
  @TempDir
  Path dir;

  private X509Certificate[] selfCert() throws Exception {
    AutoTls.Pair pair = AutoTls.selfCert(dir, List.of(URI.create("https://127.0.0.1:2380"),
        URI.create("https://m1.example:2380")));
    return PemFiles.certificates(pair.cert()).toArray(new X509Certificate[0]);
  }

  private X509ExtendedTrustManager trust(String allowedCn, String allowedHostname) throws Exception {
    return TrustedCertificates.of(new ServerConfig.TlsInfo(null, null, dir.resolve("cert.pem"), true, false, null,
        allowedCn, allowedHostname));
  }

  @Test
  void theCaFileIsTrustedAndAnAllowedHostNameMustBeAmongTheCertificatesNames() throws Exception {
    X509Certificate[] chain = selfCert();
    trust(null, null).checkServerTrusted(chain, "ECDHE_ECDSA");
    trust(null, "m1.example").checkServerTrusted(chain, "ECDHE_ECDSA");
    trust(null, "M1.EXAMPLE.").checkServerTrusted(chain, "ECDHE_ECDSA");
    trust(null, "127.0.0.1").checkServerTrusted(chain, "ECDHE_ECDSA");
    assertThatThrownBy(() -> trust(null, "m2.example").checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class).hasMessage("client certificate authentication failed");
    assertThatThrownBy(() -> trust(null, "127.0.0.2").checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void anAllowedCommonNameMustBeTheCertificates() throws Exception {
    X509Certificate[] chain = selfCert(); // subject O=etcd: no common name at all
    assertThat(AllowedIdentity.commonName(chain[0])).isNull();
    assertThatThrownBy(() -> trust("m1", null).checkServerTrusted(chain, "ECDHE_ECDSA"))
        .hasMessage("client certificate authentication failed");
  }

  @Test
  void aCertificateFromElsewhereIsNotTrusted() throws Exception {
    X509Certificate[] chain = selfCert();
    X509ExtendedTrustManager system = TrustedCertificates.of(new ServerConfig.TlsInfo(null, null, null, true, false,
        null, null, null));
    assertThatThrownBy(() -> system.checkServerTrusted(chain, "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);
    TrustedCertificates.anyone().checkServerTrusted(chain, "ECDHE_ECDSA");
  }

  @Test
  void theKeyManagerPresentsTheFilesPair() throws Exception {
    X509Certificate[] chain = selfCert();
    X509ExtendedKeyManager keys = (X509ExtendedKeyManager) PemFiles.keyManager(dir.resolve("cert.pem"),
        dir.resolve("key.pem"));
    String alias = keys.chooseServerAlias("EC", null, null);
    assertThat(keys.getCertificateChain(alias)).containsExactly(chain);
    assertThat(keys.getPrivateKey(alias)).isEqualTo(PemFiles.privateKey(dir.resolve("key.pem")));
  }
}
