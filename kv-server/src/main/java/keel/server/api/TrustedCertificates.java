package keel.server.api;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import keel.server.ServerConfig;

/**
 * Whom a TLS port trusts, as etcd's TLSInfo decides: the certificates its trusted CA file signed
 * (the system's CAs when none is given, as Go's), minus those its revocation list names ({@link
 * RevocationList}), and only those carrying the allowed common name or host name when one is set
 * ({@link AllowedIdentity}).
 */
public final class TrustedCertificates {
  private TrustedCertificates() {}

  /** The trust of a port set up by {@code tls} (not a self-signed one: see {@link #anyone}). */
  public static X509ExtendedTrustManager of(ServerConfig.TlsInfo tls) throws IOException {
    X509ExtendedTrustManager trust = signedBy(tls.trustedCaFile());
    if (tls.crlFile() != null) {
      trust = new RevocationList(trust, tls.crlFile());
    }
    if (tls.allowedCn() != null || tls.allowedHostname() != null) {
      trust = new AllowedIdentity(trust, tls.allowedCn(), tls.allowedCn() == null ? tls.allowedHostname() : null);
    }
    return trust;
  }

  /**
   * Every certificate, unchecked: etcd dials a member whose certificate is self-signed ({@code
   * --peer-auto-tls}) without verifying it (its SelfCert sets InsecureSkipVerify); the traffic is
   * encrypted, not authenticated.
   */
  public static X509ExtendedTrustManager anyone() {
    return new X509ExtendedTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
  }

  /** The JDK's trust of the certificates of {@code caFile}, or of its own CAs when null. */
  private static X509ExtendedTrustManager signedBy(Path caFile) throws IOException {
    try {
      KeyStore store = null;
      if (caFile != null) {
        List<X509Certificate> cas = PemFiles.certificates(caFile);
        store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < cas.size(); i++) {
          store.setCertificateEntry("ca-" + i, cas.get(i));
        }
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return (X509ExtendedTrustManager) factory.getTrustManagers()[0];
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust the CA certificates of " + (caFile == null ? "the JDK" : caFile)
          + ": " + e.getMessage(), e);
    }
  }
}
