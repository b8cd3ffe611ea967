package keel.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * etcd's {@code --client-crl-file}: a client whose certificate chain holds a serial number the
 * revocation list names is refused, the file looked at at every connection and read again when it
 * changed (so a new list takes effect without a restart), serial numbers compared alone, as etcd's
 * {@code checkCRL} does.
 */
final class RevocationList extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager trusted;
  private final Path crlFile;

  private RevocationList(X509ExtendedTrustManager trusted, Path crlFile) {
    this.trusted = trusted;
    this.crlFile = crlFile;
  }

  /** The trust manager of {@code caFile}'s certificates, checking {@code crlFile} when given. */
  static TrustManager trusting(Path caFile, Path crlFile) throws IOException {
    X509ExtendedTrustManager trusted;
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      List<X509Certificate> cas = PemFiles.certificates(caFile);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      trusted = (X509ExtendedTrustManager) factory.getTrustManagers()[0];
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust the CA certificates of " + caFile + ": " + e.getMessage(), e);
    }
    return crlFile == null ? trusted : new RevocationList(trusted, crlFile);
  }

  /** The list as last parsed, and the file's modification time and size then. */
  private record Parsed(FileTime modified, long size, X509CRL crl) {}

  private volatile Parsed parsed;

  /**
   * The list as the file holds it now: parsed again only when the file changed (this runs in the
   * TLS handshake, on the client port's event loop; etcd reads the file at every connection).
   */
  private X509CRL current() throws CertificateException {
    try {
      BasicFileAttributes attributes = Files.readAttributes(crlFile, BasicFileAttributes.class);
      Parsed last = parsed;
      if (last != null && last.modified().equals(attributes.lastModifiedTime()) && last.size() == attributes.size()) {
        return last.crl();
      }
      try (InputStream in = Files.newInputStream(crlFile)) {
        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        parsed = new Parsed(attributes.lastModifiedTime(), attributes.size(), crl);
        return crl;
      }
    } catch (IOException | CRLException e) {
      throw new CertificateException("cannot read the revocation list " + crlFile + ": " + e.getMessage(), e);
    }
  }

  private void checkRevoked(X509Certificate[] chain) throws CertificateException {
    X509CRL crl = current();
    for (X509Certificate cert : chain) {
      BigInteger serial = cert.getSerialNumber();
      if (crl.getRevokedCertificate(serial) != null) {
        throw new CertificateException("transport: certificate serial " + serial.toString(16) + " revoked");
      }
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    trusted.checkClientTrusted(chain, authType);
    checkRevoked(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    trusted.checkClientTrusted(chain, authType, socket);
    checkRevoked(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    trusted.checkClientTrusted(chain, authType, engine);
    checkRevoked(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    trusted.checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    trusted.checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    trusted.checkServerTrusted(chain, authType, engine);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return trusted.getAcceptedIssuers();
  }
}
