package keel.server.api;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager that trusts what {@code trusted} trusts and then checks the chain once more
 * ({@link #checkClient}, {@link #checkServer}): etcd's checks on top of the CA's, a revocation
 * list ({@link RevocationList}) or the name a certificate must carry ({@link AllowedIdentity}).
 */
abstract class CheckingTrustManager extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager trusted;

  CheckingTrustManager(X509ExtendedTrustManager trusted) {
    this.trusted = trusted;
  }

  /** Called once {@code chain}, the other side's as a server's client, was trusted. */
  abstract void checkClient(X509Certificate[] chain) throws CertificateException;

  /** Called once {@code chain}, the server's as its client sees it, was trusted. */
  abstract void checkServer(X509Certificate[] chain) throws CertificateException;

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    trusted.checkClientTrusted(chain, authType);
    checkClient(chain);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    trusted.checkClientTrusted(chain, authType, socket);
    checkClient(chain);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    trusted.checkClientTrusted(chain, authType, engine);
    checkClient(chain);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    trusted.checkServerTrusted(chain, authType);
    checkServer(chain);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    trusted.checkServerTrusted(chain, authType, socket);
    checkServer(chain);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    trusted.checkServerTrusted(chain, authType, engine);
    checkServer(chain);
  }

  @Override
  public final X509Certificate[] getAcceptedIssuers() {
    return trusted.getAcceptedIssuers();
  }
}
