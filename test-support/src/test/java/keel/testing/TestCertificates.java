package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import keel.server.api.PemFiles;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * CAs, certificates and revocation lists made for one test in a temporary directory (no private key
 * is checked in): {@code openssl} makes the keys and certificates, Bouncy Castle the revocation
 * lists. Files are named {@code <name>.pem} and {@code <name>-key.pem}.
 */
public final class TestCertificates implements AutoCloseable {
  private final Path dir;

  public TestCertificates() throws IOException {
    this.dir = Files.createTempDirectory("keel-certs-");
  }

  /** A self-signed CA {@code name} with the common name {@code cn}. */
  public TestCertificates ca(String name, String cn) throws IOException, InterruptedException {
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
        "-keyout", name + "-key.pem", "-out", name + ".pem");
    return this;
  }

  /**
   * A certificate {@code name} for {@code subject} signed by {@code ca}, with the openssl extension
   * lines {@code extensions} (e.g. {@code subjectAltName=IP:127.0.0.1}, {@code
   * extendedKeyUsage=clientAuth}).
   */
  public TestCertificates signed(String name, String subject, String ca, String... extensions)
      throws IOException, InterruptedException {
    Files.writeString(dir.resolve(name + ".ext"), String.join("\n", extensions) + "\n");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", name + "-key.pem",
        "-out", name + ".csr");
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + "-key.pem",
        "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem");
    return this;
  }

  /** {@code <ca>-crl.pem}: {@code ca}'s revocation list naming the certificate {@code revoked}. */
  public TestCertificates revocationList(String ca, String revoked) throws IOException {
    X509Certificate issuer = PemFiles.certificates(dir.resolve(ca + ".pem")).get(0);
    X509Certificate cert = PemFiles.certificates(dir.resolve(revoked + ".pem")).get(0);
    JcaX509v2CRLBuilder crl = new JcaX509v2CRLBuilder(issuer.getSubjectX500Principal(), new Date());
    crl.addCRLEntry(cert.getSerialNumber(), new Date(), CRLReason.keyCompromise);
    try {
      X509CRLHolder signed = crl.build(new JcaContentSignerBuilder("SHA256withRSA")
          .build(PemFiles.privateKey(dir.resolve(ca + "-key.pem"))));
      try (PemWriter out = new PemWriter(Files.newBufferedWriter(dir.resolve(ca + "-crl.pem")))) {
        out.writeObject(new PemObject("X509 CRL", signed.getEncoded()));
      }
    } catch (OperatorCreationException e) {
      throw new IOException(e);
    }
    return this;
  }

  /** Runs {@code openssl} with {@code args} in the directory; fails the test when it fails. */
  public void openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("openssl %s: %s", String.join(" ", args), out).isZero();
  }

  /** The path of the file {@code name} in the directory. */
  public String file(String name) {
    return dir.resolve(name).toString();
  }

  @Override
  public void close() {
    TempDirs.deleteQuietly(dir);
  }
}
