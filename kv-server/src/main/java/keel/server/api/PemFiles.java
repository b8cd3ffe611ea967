package keel.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM files as etcd reads them with Go's {@code tls.LoadX509KeyPair}: a certificate chain, and an
 * unencrypted private key in any of the forms Go accepts (PKCS#8 {@code PRIVATE KEY}, PKCS#1
 * {@code RSA PRIVATE KEY}, SEC1 {@code EC PRIVATE KEY}); the JDK alone reads only the first.
 */
public final class PemFiles {
  private PemFiles() {}

  /** The certificates of {@code file}, leaf first. */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509Certificate> chain = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
          .map(X509Certificate.class::cast).toList();
      if (chain.isEmpty()) {
        throw new IOException("tls: failed to find any PEM data in certificate input: " + file);
      }
      return chain;
    } catch (GeneralSecurityException e) {
      throw new IOException("tls: failed to read the certificates of " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A key manager presenting the certificate chain of {@code certFile} with the key of {@code
   * keyFile}: what a member shows as a server and, dialling another member, as a client.
   */
  public static KeyManager keyManager(Path certFile, Path keyFile) throws IOException {
    List<X509Certificate> chain = certificates(certFile);
    PrivateKey key = privateKey(keyFile);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      char[] none = new char[0];
      store.setKeyEntry("key", key, none, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, none);
      return factory.getKeyManagers()[0];
    } catch (GeneralSecurityException e) {
      throw new IOException("tls: the key of " + keyFile + " does not go with the certificate of " + certFile
          + ": " + e.getMessage(), e);
    }
  }

  /** The private key of {@code file}. */
  public static PrivateKey privateKey(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
         PEMParser parser = new PEMParser(reader)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        if (object instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo()); // SEC1 may leave the public key out
        }
        if (object instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
      }
    }
    throw new IOException("tls: failed to find any PEM data in key input: " + file
        + " (an unencrypted PKCS#8, PKCS#1 or EC private key)");
  }
}
