package keel.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.Server;
import java.io.FileInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcd's self-signed certificate: made once, for the listen hosts, and served as it is written. */
class AutoTlsTest {
  @TempDir
  Path dir;

  @Test
  void makesACertificateForTheListenHostsThatAServerCanUseAndKeepsIt() throws Exception {
    AutoTls.Pair pair = AutoTls.selfCert(dir, List.of(URI.create("https://127.0.0.1:2379"),
        URI.create("https://localhost:2379")));
    assertThat(Files.readString(pair.key())).startsWith("-----BEGIN EC PRIVATE KEY-----");
    X509Certificate cert;
    try (FileInputStream in = new FileInputStream(pair.cert().toFile())) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("O=etcd");
    assertThat(cert.getSubjectAlternativeNames().stream().map(name -> String.valueOf(name.get(1))).toList())
        .containsExactly("127.0.0.1", "localhost");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");

    Server server = Server.builder().https(0).tls(PemFiles.privateKey(pair.key()), PemFiles.certificates(pair.cert()))
        .service("/", (ctx, req) -> HttpResponse.of(200)).build();
    server.start().join();
    server.stop().join();

    String before = Files.readString(pair.cert());
    assertThat(AutoTls.selfCert(dir, List.of(URI.create("https://10.0.0.1:2379")))).isEqualTo(pair);
    assertThat(Files.readString(pair.cert())).as("kept, as etcd keeps it").isEqualTo(before);
  }
}
