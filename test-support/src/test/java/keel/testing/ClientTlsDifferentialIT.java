package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client port over TLS, on etcd 3.4 and Keel started with the same certificates (made here
 * with {@code openssl}: a CA, a server certificate for 127.0.0.1, client certificates, a second CA
 * with a client certificate of its own; the CA's revocation list with Bouncy Castle): {@code
 * --cert-file --key-file --trusted-ca-file --client-cert-auth --client-crl-file}, an https client
 * URL beside an http one. Debian's {@code etcdctl --cacert --cert --key} prints the same for a KV
 * and member list sequence; a client without a certificate, with one from the other CA, or with
 * a revoked one is refused by both; the http URL serves in clear text on both. The server's key
 * is PKCS#1, as cfssl writes it. With {@code --auto-tls}, both serve a self-signed certificate
 * kept in the data dir.
 */
@Timeout(value = 180)
class ClientTlsDifferentialIT {
  private static TestCertificates certs;

  @BeforeAll
  static void makeCertificates() throws IOException, InterruptedException {
    certs = new TestCertificates().ca("ca", "keel-test-ca").ca("other-ca", "other-ca")
        .signed("server", "/CN=127.0.0.1", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "extendedKeyUsage=serverAuth,clientAuth")
        .signed("client", "/CN=root", "ca", "extendedKeyUsage=clientAuth")
        .signed("stranger", "/CN=root", "other-ca", "extendedKeyUsage=clientAuth")
        .signed("revoked", "/CN=root", "ca", "extendedKeyUsage=clientAuth")
        .revocationList("ca", "revoked");
    // The server's key as cfssl and older OpenSSL write it (PKCS#1), which the JDK alone cannot read.
    certs.openssl("rsa", "-in", "server-key.pem", "-traditional", "-out", "server-rsa-key.pem");
    assertThat(Files.readString(Path.of(file("server-rsa-key.pem")))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
  }

  @AfterAll
  static void removeCertificates() {
    if (certs != null) {
      certs.close();
    }
  }

  private static String file(String name) {
    return certs.file(name);
  }

  @Test
  void etcdctlOverTlsPrintsWhatEtcdPrintsAndStrangersAreRefused() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = transcript(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("client-tls-etcd.txt");
    assertThat(etcd.result("put over TLS").stdout()).isEqualTo("OK\n");
    assertThat(etcd.result("no client certificate").exitCode()).isNotZero();
    assertThat(etcd.result("no client certificate").stderr()).endsWith("Error: context deadline exceeded\n");
    assertThat(normalise(etcd.renderedSteps().get(7))).as("a refusal's last line kept")
        .endsWith("--- stderr\nError: context deadline exceeded\n");
    EtcdctlTranscript keel = transcript(EtcdctlDifferentialIT.KEEL, p);
    keel.write("client-tls-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, ClientTlsDifferentialIT::normalise);
  }

  /**
   * A refusal's stderr is compared by its last line (the lines before it are the client's retry
   * log, with timestamps); a health check's time is masked.
   */
  static String normalise(String step) {
    return MembershipDifferentialIT.normalise(step)
        .replaceAll("took = [0-9.]+[a-zµ]*s", "took = <time>")
        .replaceAll("(?s)(--- stderr\n)(?:.*\n)?([^\n]+\n?)\s*$", "$1$2");
  }

  private static EtcdctlTranscript transcript(Target target, String p) {
    MemberAddress a = MemberAddress.withFreePorts("m1", "127.0.0.1");
    String secure = "https://127.0.0.1:" + a.clientPort();
    MemberAddress plain = MemberAddress.withFreePorts("plain", "127.0.0.1");
    String clear = "http://127.0.0.1:" + plain.clientPort();
    ClusterProcesses.Builder builder = ClusterProcesses.builder(target.command()).member(a)
        .clusterName(target.name() + "-tls-" + p.substring(3, 8))
        .memberFlags("m1", "--listen-client-urls", secure + "," + clear, "--advertise-client-urls", secure,
            "--cert-file", file("server.pem"), "--key-file", file("server-rsa-key.pem"),
            "--trusted-ca-file", file("ca.pem"), "--client-cert-auth", "--client-crl-file", file("ca-crl.pem"));
    try (ClusterProcesses cluster = builder.create()) {
      cluster.members().forEach(MemberProcess::start);
      Etcdctl client = Etcdctl.of(secure).withFlags("--cacert=" + file("ca.pem"), "--cert=" + file("client.pem"),
          "--key=" + file("client-key.pem"));
      Deadlines.await(target.name() + " healthy over TLS", Duration.ofSeconds(60)).until(() ->
          client.run("endpoint", "health").succeeded());
      EtcdctlTranscript t = new EtcdctlTranscript(p);
      t.run(client,
          Step.of("put over TLS", "put", p + "a", "1"),
          Step.of("get over TLS", "get", p + "a"),
          Step.of("a second put over TLS", "put", p + "b", "2", "--prev-kv"),
          Step.of("a range over TLS", "get", p, "--prefix"),
          Step.of("a delete over TLS", "del", p + "b"),
          Step.of("member list over TLS", "member", "list"),
          Step.of("endpoint health over TLS", "endpoint", "health"));
      // refusals: given up after a second's dialling
      Etcdctl refused = Etcdctl.of(secure).withFlags("--dial-timeout=1s", "--command-timeout=2s");
      t.run(refused.withFlags("--cacert=" + file("ca.pem")), Step.of("no client certificate", "get", p + "a"));
      t.run(refused.withFlags("--cacert=" + file("ca.pem"), "--cert=" + file("stranger.pem"),
          "--key=" + file("stranger-key.pem")), Step.of("a client certificate from another CA", "get", p + "a"));
      t.run(refused.withFlags("--cacert=" + file("ca.pem"), "--cert=" + file("revoked.pem"),
          "--key=" + file("revoked-key.pem")), Step.of("a revoked client certificate", "get", p + "a"));
      t.run(refused.withFlags("--cacert=" + file("other-ca.pem"), "--cert=" + file("client.pem"),
          "--key=" + file("client-key.pem")), Step.of("a server certificate not trusted", "get", p + "a"));
      t.run(Etcdctl.of(clear), Step.of("the http URL in clear text", "get", p + "a"));
      return t;
    }
  }

  @Test
  void autoTlsServesASelfSignedCertificateKeptInTheDataDirAsOnEtcd() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = autoTlsTranscript(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("auto-tls-etcd.txt");
    assertThat(etcd.result("put, the certificate not verified").stdout()).isEqualTo("OK\n");
    EtcdctlTranscript keel = autoTlsTranscript(EtcdctlDifferentialIT.KEEL, p);
    keel.write("auto-tls-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, ClientTlsDifferentialIT::normalise);
  }

  private static EtcdctlTranscript autoTlsTranscript(Target target, String p) throws IOException {
    MemberAddress a = MemberAddress.withFreePorts("m1", "127.0.0.1");
    String secure = "https://127.0.0.1:" + a.clientPort();
    ClusterProcesses.Builder builder = ClusterProcesses.builder(target.command()).member(a)
        .clusterName(target.name() + "-atls-" + p.substring(3, 8))
        .memberFlags("m1", "--listen-client-urls", secure, "--advertise-client-urls", secure, "--auto-tls");
    try (ClusterProcesses cluster = builder.create()) {
      cluster.members().forEach(MemberProcess::start);
      // etcdctl 3.4 talks TLS to an https URL without --cacert only with --insecure-transport=false
      Etcdctl unverified = Etcdctl.of(secure).withFlags("--insecure-transport=false", "--insecure-skip-tls-verify");
      Deadlines.await(target.name() + " healthy over auto TLS", Duration.ofSeconds(60)).until(() ->
          unverified.run("endpoint", "health").succeeded());
      Path fixtures = cluster.member(0).dataDir().resolve("fixtures").resolve("client");
      assertThat(fixtures.resolve("cert.pem")).as("%s keeps its certificate", target.name()).exists();
      assertThat(Files.readString(fixtures.resolve("key.pem"))).as("%s keeps its key", target.name())
          .startsWith("-----BEGIN EC PRIVATE KEY-----");
      EtcdctlTranscript t = new EtcdctlTranscript(p);
      t.run(unverified,
          Step.of("put, the certificate not verified", "put", p + "a", "1"),
          Step.of("get, the certificate not verified", "get", p + "a"),
          Step.of("member list", "member", "list"));
      t.run(Etcdctl.of(secure).withFlags("--insecure-transport=false", "--dial-timeout=1s", "--command-timeout=2s"),
          Step.of("the certificate verified: unknown authority", "get", p + "a"));
      return t;
    }
  }
}
