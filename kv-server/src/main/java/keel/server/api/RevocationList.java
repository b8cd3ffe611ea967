package keel.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * etcd's {@code --client-crl-file} and {@code --peer-crl-file}: a client whose certificate chain
 * holds a serial number the revocation list names is refused, the file looked at at every
 * connection and read again when it changed (so a new list takes effect without a restart),
 * serial numbers compared alone, as etcd's {@code checkCRL} does.
 */
final class RevocationList extends CheckingTrustManager {
  private final Path crlFile;

  RevocationList(X509ExtendedTrustManager trusted, Path crlFile) {
    super(trusted);
    this.crlFile = crlFile;
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
  void checkClient(X509Certificate[] chain) throws CertificateException {
    checkRevoked(chain);
  }

  @Override
  void checkServer(X509Certificate[] chain) {
    // etcd checks the list on its listeners only, against the certificates of those dialling in
  }
}
