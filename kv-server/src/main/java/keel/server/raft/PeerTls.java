package keel.server.raft;

import java.io.IOException;
import java.net.URI;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import keel.server.ServerConfig;
import keel.server.api.AutoTls;
import keel.server.api.PemFiles;
import keel.server.api.TrustedCertificates;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer port's TLS as etcd's {@code --peer-*} flags set it, on Ratis's gRPC transport: with an
 * https peer URL, a member serves its Raft traffic over TLS with {@code --peer-cert-file} and
 * {@code --peer-key-file} and dials the others with the same certificate; with {@code
 * --peer-trusted-ca-file} or {@code --peer-client-cert-auth} each side must show a certificate the
 * other trusts (the CA's, not revoked by {@code --peer-crl-file}, with {@code
 * --peer-cert-allowed-cn} or {@code --peer-cert-allowed-hostname} when given), so a member without
 * one can neither join nor send a vote or an append. {@code --peer-auto-tls} without the files:
 * a self-signed certificate in {@code <data-dir>/fixtures/peer}, and, as on etcd, the others'
 * certificates are not verified (encrypted, not authenticated).
 *
 * <p>Ratis serves one peer address, the first peer URL ({@link RatisNode}); its scheme decides.
 */
public final class PeerTls {
  private static final Logger LOG = LoggerFactory.getLogger(PeerTls.class);

  private PeerTls() {}

  /**
   * Ratis's parameters for this member's peer traffic, served and dialled (its Raft server, its
   * forwarder to the leader, a joining member's lookups): TLS set when the peer URL is https.
   */
  public static Parameters parameters(ServerConfig config) throws IOException {
    Parameters parameters = new Parameters();
    GrpcTlsConfig tls = tlsConfig(config);
    if (tls != null) {
      GrpcConfigKeys.TLS.setConf(parameters, tls);
    }
    return parameters;
  }

  /** Ratis's TLS settings for the peer port, or null when the peer URL is http. */
  static GrpcTlsConfig tlsConfig(ServerConfig config) throws IOException {
    URI url = config.listenPeerUrls().get(0);
    ServerConfig.TlsInfo tls = config.peerTls();
    if (!"https".equals(url.getScheme())) {
      if (!tls.isEmpty()) {
        LOG.warn("scheme is HTTP while key and cert files are present; ignoring key and cert files for peer url {}",
            url);
      }
      if (tls.clientCertAuth()) {
        LOG.warn("scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for peer url {}",
            url);
      }
      return null;
    }
    boolean selfSigned = tls.selfSigned();
    tls = AutoTls.resolve(tls, config.dataDir().resolve("fixtures").resolve("peer"), config.listenPeerUrls(),
        "peer");
    LOG.info("starting with peer TLS: cert = {}, key = {}, client-cert-auth = {}, trusted-ca = {}, crl-file = {}",
        tls.certFile(), tls.keyFile(), tls.requiresClientCertificate(), tls.trustedCaFile(), tls.crlFile());
    KeyManager key = PemFiles.keyManager(tls.certFile(), tls.keyFile());
    TrustManager trust = selfSigned ? TrustedCertificates.anyone() : TrustedCertificates.of(tls);
    return new GrpcTlsConfig(key, trust, tls.requiresClientCertificate());
  }
}
