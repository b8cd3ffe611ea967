package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The peer port over TLS, on etcd 3.4 and Keel started with the same certificates (made here with
 * {@code openssl}): three members with {@code --peer-cert-file --peer-key-file
 * --peer-trusted-ca-file --peer-client-cert-auth} and https peer URLs serve and replicate; a fourth
 * member added with {@code member add} but started with a certificate from another CA is kept
 * out (it cannot fetch the cluster, exits, and stays unstarted in the member list) while the
 * cluster goes on. With {@code --peer-auto-tls}, members replicate over self-signed certificates
 * kept in the data dir. Debian's {@code etcdctl} prints the same on both, ids and ports masked.
 */
@Timeout(value = 300)
class PeerTlsDifferentialIT {
  private static final Pattern INITIAL_CLUSTER = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"");
  private static TestCertificates certs;

  @BeforeAll
  static void makeCertificates() throws IOException, InterruptedException {
    String peer = "subjectAltName=IP:127.0.0.1";
    String both = "extendedKeyUsage=serverAuth,clientAuth";
    certs = new TestCertificates().ca("ca", "keel-peer-ca").ca("other-ca", "other-ca")
        .signed("peer", "/CN=keel-peer", "ca", peer, both)
        .signed("stranger", "/CN=keel-peer", "other-ca", peer, both);
  }

  @AfterAll
  static void removeCertificates() {
    if (certs != null) {
      certs.close();
    }
  }

  @Test
  void membersTalkOverMutualTlsAndAMemberWithoutTheCasCertificateIsKeptOut() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = mutualTls(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("peer-tls-etcd.txt");
    assertThat(MembershipDifferentialIT.normalise(etcd.result("member list with the stranger").stdout()))
        .contains("| unstarted | | <endpoint> | |");
    EtcdctlTranscript keel = mutualTls(EtcdctlDifferentialIT.KEEL, p);
    keel.write("peer-tls-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, MembershipDifferentialIT::normalise);
  }

  private static EtcdctlTranscript mutualTls(Target target, String p) {
    ClusterProcesses.Builder builder = ClusterProcesses.builder(target.command()).httpsPeers()
        .clusterName(target.name() + "-ptls-" + p.substring(3, 8))
        .extraFlags("--peer-cert-file", certs.file("peer.pem"), "--peer-key-file", certs.file("peer-key.pem"),
            "--peer-trusted-ca-file", certs.file("ca.pem"), "--peer-client-cert-auth")
        .memberFlags("m4", "--peer-cert-file", certs.file("stranger.pem"), "--peer-key-file",
            certs.file("stranger-key.pem"));
    try (ClusterProcesses cluster = builder.start()) {
      Etcdctl client = Etcdctl.of(cluster.clientEndpoints());
      EtcdctlTranscript t = EtcdctlTranscript.record(client, p, List.of(
          Step.of("put", "put", p + "a", "1"),
          Step.of("get", "get", p + "a"),
          Step.of("member list", "member", "list", "-w", "table")));
      awaitReplicated(cluster, p + "a", "1");

      MemberAddress m4 = cluster.newMemberAddress("m4");
      // etcd refuses a member add until the member asked has been connected to every voter for 5 s
      Etcdctl.Result added = Deadlines.await(target.name() + " accepts member add", Duration.ofSeconds(60))
          .until(() -> client.run("member", "add", "m4", "--peer-urls=https://127.0.0.1:" + m4.peerPort()),
              Etcdctl.Result::succeeded);
      t.add(Step.of("member add", "member", "add", "m4", "--peer-urls=<m4>"), added);
      Matcher initial = INITIAL_CLUSTER.matcher(added.stdout());
      assertThat(initial.find()).as("member add printed ETCD_INITIAL_CLUSTER: %s", added.stdout()).isTrue();
      MemberProcess stranger = cluster.join(m4, initial.group(1));
      Deadlines.await(target.name() + "'s m4, with a certificate of another CA, gives up", Duration.ofSeconds(60))
          .until(() -> !stranger.isAlive());
      assertThat(stranger.exitCode()).as("%s's m4 exit code", target.name()).isNotZero();
      t.run(client,
          Step.of("member list with the stranger", "member", "list", "-w", "table"),
          Step.of("a put with the stranger out", "put", p + "b", "2"),
          Step.of("a range", "get", p, "--prefix"));
      return t;
    }
  }

  @Test
  void peerAutoTlsMembersReplicateOverSelfSignedCertificatesKeptInTheDataDir() throws IOException {
    String p = EtcdctlDifferentialIT.uniquePrefix();
    EtcdctlTranscript etcd = autoTls(EtcdctlDifferentialIT.ETCD, p);
    etcd.write("peer-auto-tls-etcd.txt");
    EtcdctlTranscript keel = autoTls(EtcdctlDifferentialIT.KEEL, p);
    keel.write("peer-auto-tls-keel.txt");
    EtcdctlTranscript.assertSameSteps(etcd, keel, MembershipDifferentialIT::normalise);
  }

  private static EtcdctlTranscript autoTls(Target target, String p) throws IOException {
    ClusterProcesses.Builder builder = ClusterProcesses.builder(target.command()).httpsPeers()
        .clusterName(target.name() + "-patls-" + p.substring(3, 8)).extraFlags("--peer-auto-tls");
    try (ClusterProcesses cluster = builder.start()) {
      for (MemberProcess member : cluster.members()) {
        Path fixtures = member.dataDir().resolve("fixtures").resolve("peer");
        assertThat(fixtures.resolve("cert.pem")).as("%s keeps its certificate", target.name()).exists();
        assertThat(Files.readString(fixtures.resolve("key.pem"))).as("%s keeps its key", target.name())
            .startsWith("-----BEGIN EC PRIVATE KEY-----");
      }
      Etcdctl client = Etcdctl.of(cluster.clientEndpoints());
      EtcdctlTranscript t = EtcdctlTranscript.record(client, p, List.of(
          Step.of("put", "put", p + "a", "1"),
          Step.of("a second put", "put", p + "b", "2", "--prev-kv"),
          Step.of("a range", "get", p, "--prefix"),
          Step.of("member list", "member", "list", "-w", "table")));
      awaitReplicated(cluster, p + "a", "1");
      return t;
    }
  }

  /**
   * Until every member serves {@code key} = {@code value} from its own store (a serializable read):
   * the traffic between the members went over their TLS. A follower applies a moment after the
   * leader answered the put.
   */
  private static void awaitReplicated(ClusterProcesses cluster, String key, String value) {
    for (MemberProcess member : cluster.members()) {
      Etcdctl own = Etcdctl.of(member.address().clientEndpoint());
      Deadlines.await(member.name() + " replicated " + key, Duration.ofSeconds(10)).until(() ->
          own.run("get", key, "--consistency=s", "--print-value-only").stdout().equals(value + "\n"));
    }
  }
}
