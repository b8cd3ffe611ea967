package keel.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import keel.client.connect.EtcdConnection;
import keel.testing.ClusterProcesses;
import keel.testing.Deadlines;
import keel.testing.Etcdctl;
import keel.testing.KeelProcesses;
import keel.testing.MemberAddress;
import keel.testing.MemberProcess;
import keel.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * jetcd (through client-lib's {@link EtcdConnection}, told as etcdctl is: {@code ETCDCTL_*}) and
 * the agent ({@code --cacert --cert --key}) against a Keel member that serves its clients over TLS
 * only and requires a client certificate signed by its CA: both work, and a client without a
 * certificate is refused.
 */
@Timeout(value = 120)
class TlsClusterClientsIT {
  @TempDir Path dir;

  @Test
  void jetcdAndTheAgentWorkAgainstAClusterThatRequiresClientCertificates() throws Exception {
    try (TestCertificates certs = new TestCertificates().ca("ca", "keel-test-ca")
        .signed("server", "/CN=127.0.0.1", "ca", "subjectAltName=IP:127.0.0.1", "extendedKeyUsage=serverAuth")
        .signed("client", "/CN=agent", "ca", "extendedKeyUsage=clientAuth")) {
      MemberAddress a = MemberAddress.withFreePorts("m1", "127.0.0.1");
      String url = "https://127.0.0.1:" + a.clientPort();
      ClusterProcesses.Builder builder = ClusterProcesses.builder(KeelProcesses.command()).member(a)
          .memberFlags("m1", "--listen-client-urls", url, "--advertise-client-urls", url,
              "--cert-file", certs.file("server.pem"), "--key-file", certs.file("server-key.pem"),
              "--trusted-ca-file", certs.file("ca.pem"), "--client-cert-auth");
      try (ClusterProcesses cluster = builder.create()) {
        cluster.members().forEach(MemberProcess::start);
        Etcdctl etcdctl = Etcdctl.of(url).withFlags("--cacert=" + certs.file("ca.pem"),
            "--cert=" + certs.file("client.pem"), "--key=" + certs.file("client-key.pem"));
        Deadlines.await("keel healthy over TLS", Duration.ofSeconds(60)).until(() ->
            etcdctl.run("endpoint", "health").succeeded());

        EtcdConnection connection = EtcdConnection.fromEnvironment(Map.of("ETCDCTL_ENDPOINTS", url,
            "ETCDCTL_CACERT", certs.file("ca.pem"), "ETCDCTL_CERT", certs.file("client.pem"),
            "ETCDCTL_KEY", certs.file("client-key.pem")), EtcdConnection.plain(List.of(URI.create(url))));
        ByteSequence key = ByteSequence.from("tls-key", StandardCharsets.UTF_8);
        try (Client client = connection.connect()) {
          client.getKVClient().put(key, ByteSequence.from("v", StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
          assertThat(client.getKVClient().get(key).get(30, TimeUnit.SECONDS).getKvs()).hasSize(1);
        }
        EtcdConnection noCertificate = new EtcdConnection(List.of(URI.create(url)), Path.of(certs.file("ca.pem")),
            null, null, false, null, null);
        try (Client client = noCertificate.connect()) {
          assertThatThrownBy(() -> client.getKVClient().get(key).get(3, TimeUnit.SECONDS))
              .as("no client certificate: refused").isInstanceOfAny(java.util.concurrent.ExecutionException.class,
                  java.util.concurrent.TimeoutException.class);
        }

        try (TestAgents agents = new TestAgents(url, dir)) {
          agents.start("tls-agent", "127.0.0.51", "--cacert", certs.file("ca.pem"), "--cert",
              certs.file("client.pem"), "--key", certs.file("client-key.pem"));
          Deadlines.await("the agent registered over TLS and lists itself", Duration.ofSeconds(30))
              .until(() -> agents.lists("tls-agent", "tls-agent=127.0.0.51"));
        }
      }
    }
  }
}
