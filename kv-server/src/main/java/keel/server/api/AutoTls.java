package keel.server.api;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import keel.server.ServerConfig;
import keel.server.cli.EtcdUrls;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's {@code --auto-tls} and {@code --peer-auto-tls}: a self-signed certificate for the hosts of
 * the listen URLs, made once and kept in the data dir ({@code fixtures/client} or {@code
 * fixtures/peer}: {@code cert.pem} and {@code key.pem}, reused at every later start), as etcd's
 * {@code transport.SelfCert} makes it: an ECDSA key, organisation "etcd",
 * valid for a year, for server authentication, the hosts as IP addresses or DNS names. The curve
 * is P-256 where etcd's is P-521: the TLS library Armeria serves with (BoringSSL) offers no
 * signature algorithm for P-521.
 * Clients trust it only when told to skip verification ({@code etcdctl --insecure-skip-tls-verify}).
 */
public final class AutoTls {
  private static final Duration VALIDITY = Duration.ofDays(365);

  /** The certificate and key files. */
  public record Pair(Path cert, Path key) {}

  private static final Logger LOG = LoggerFactory.getLogger(AutoTls.class);

  private AutoTls() {}

  /**
   * etcd's ClientSelfCert and PeerSelfCert: {@code tls} as it is unless it asks for auto TLS
   * without certificate files; then the self-signed pair in {@code dir} for the hosts of {@code
   * urls}, which stands for every other setting of {@code tls} ({@link ServerConfig.TlsInfo#withSelfCert}).
   *
   * @param side "client" or "peer", for the warning when files and auto TLS are both given
   */
  public static ServerConfig.TlsInfo resolve(ServerConfig.TlsInfo tls, Path dir, List<URI> urls, String side)
      throws IOException {
    if (!tls.autoTls()) {
      return tls;
    }
    if (!tls.isEmpty()) {
      LOG.warn("ignoring {} auto TLS since certs given", side);
      return tls;
    }
    Pair self = selfCert(dir, urls);
    return tls.withSelfCert(self.cert(), self.key());
  }

  /** The pair in {@code dir}, made for the hosts of {@code urls} when it is not there yet. */
  public static Pair selfCert(Path dir, List<URI> urls) throws IOException {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    if (Files.exists(cert) && Files.exists(key)) {
      return new Pair(cert, key);
    }
    Files.createDirectories(dir);
    KeyPair pair;
    String certificate;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      pair = generator.generateKeyPair();
      X500Name subject = new X500Name("O=etcd");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
          new BigInteger(128, new SecureRandom()), Date.from(now), Date.from(now.plus(VALIDITY)), subject,
          pair.getPublic());
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyEncipherment | KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      List<GeneralName> names = new ArrayList<>();
      for (URI url : urls) {
        String host = EtcdUrls.host(url).replace("[", "").replace("]", "");
        names.add(isIpAddress(host) ? new GeneralName(GeneralName.iPAddress, host)
            : new GeneralName(GeneralName.dNSName, host));
      }
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      X509CertificateHolder holder = builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
          .build(pair.getPrivate()));
      certificate = pem(holder);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make a self-signed certificate for --auto-tls: " + e.getMessage(), e);
    }
    Files.writeString(cert, certificate, StandardCharsets.US_ASCII);
    Files.deleteIfExists(key);
    Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(key, sec1(pair), StandardCharsets.US_ASCII);
    return new Pair(cert, key);
  }

  /**
   * The key as Go's {@code x509.MarshalECPrivateKey} writes it (SEC1, {@code EC PRIVATE KEY}, with
   * the curve and the public key): the JDK's own encoding is PKCS#8, whose inner SEC1 structure
   * leaves the curve out.
   */
  private static String sec1(KeyPair pair) throws IOException {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded());
    ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
    SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded());
    ECPrivateKey whole = new ECPrivateKey(256, inner.getKey(), publicKey.getPublicKeyData(),
        info.getPrivateKeyAlgorithm().getParameters());
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject("EC PRIVATE KEY", whole.getEncoded()));
    }
    return out.toString();
  }

  private static boolean isIpAddress(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  private static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }
}
