package keel.server.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * etcd's {@code --peer-cert-allowed-cn}, {@code --peer-cert-allowed-hostname} and {@code
 * --client-cert-allowed-hostname}: a trusted certificate is taken only when its common name is
 * the allowed one, or when it is valid for the allowed host name (its DNS or IP subject
 * alternative names, as Go's {@code VerifyHostname}, which no longer reads the common name). As
 * etcd sets it on its whole TLS configuration, it applies to the certificates of those who dial
 * in and of those dialled.
 */
final class AllowedIdentity extends CheckingTrustManager {
  private static final int DNS_NAME = 2;
  private static final int IP_ADDRESS = 7;

  private final String allowedCn;
  private final String allowedHostname;

  /** Exactly one of {@code allowedCn} and {@code allowedHostname} is given. */
  AllowedIdentity(X509ExtendedTrustManager trusted, String allowedCn, String allowedHostname) {
    super(trusted);
    if ((allowedCn == null) == (allowedHostname == null)) {
      throw new IllegalArgumentException("one of an allowed CN and an allowed hostname");
    }
    this.allowedCn = allowedCn;
    this.allowedHostname = allowedHostname;
  }

  @Override
  void checkClient(X509Certificate[] chain) throws CertificateException {
    check(chain[0]);
  }

  @Override
  void checkServer(X509Certificate[] chain) throws CertificateException {
    check(chain[0]);
  }

  private void check(X509Certificate leaf) throws CertificateException {
    boolean allowed = allowedCn != null ? allowedCn.equals(commonName(leaf)) : validFor(leaf, allowedHostname);
    if (!allowed) {
      // etcd's words, when its VerifyPeerCertificate refuses a certificate
      throw new CertificateException("client certificate authentication failed");
    }
  }

  /** The certificate subject's common name, or null when it has none. */
  static String commonName(X509Certificate cert) {
    try {
      List<Rdn> rdns = new LdapName(cert.getSubjectX500Principal().getName()).getRdns();
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          return rdns.get(i).getValue().toString();
        }
      }
      return null;
    } catch (InvalidNameException e) {
      return null;
    }
  }

  /** Go's {@code Certificate.VerifyHostname}: an IP against the IP names, else the DNS names. */
  static boolean validFor(X509Certificate cert, String host) throws CertificateParsingException {
    Collection<List<?>> names = cert.getSubjectAlternativeNames();
    if (names == null) {
      return false;
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    InetAddress ip = literalAddress(bare);
    for (List<?> name : names) {
      int type = (Integer) name.get(0);
      String value = (String) name.get(1);
      if (ip != null && type == IP_ADDRESS && ip.equals(literalAddress(value))) {
        return true;
      }
      if (ip == null && type == DNS_NAME && dnsMatches(value, bare)) {
        return true;
      }
    }
    return false;
  }

  private static boolean dnsMatches(String pattern, String host) {
    String p = pattern.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (p.startsWith("*.")) {
      int dot = h.indexOf('.');
      return dot > 0 && h.substring(dot).equals(p.substring(1));
    }
    return p.equals(h);
  }

  /** The address {@code text} spells as an IP literal, or null when it is a name. */
  private static InetAddress literalAddress(String text) {
    boolean ipv4 = text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    boolean ipv6 = text.contains(":") && text.matches("[0-9a-fA-F:.]+");
    if (!ipv4 && !ipv6) {
      return null;
    }
    try {
      return InetAddress.getByName(text); // a literal: no lookup
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
