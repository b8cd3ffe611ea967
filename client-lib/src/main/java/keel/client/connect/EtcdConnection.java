package keel.client.connect;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * How to reach a cluster, told as etcdctl is told: the endpoints, the CA that signed the servers'
 * certificates ({@code --cacert}), this client's certificate and key ({@code --cert}, {@code
 * --key}), whether to skip verifying the servers ({@code --insecure-skip-tls-verify}) and the user
 * and password ({@code --user name[:password]}, {@code --password}); from flags or from etcdctl's
 * environment ({@link #fromEnvironment}: {@code ETCDCTL_ENDPOINTS}, {@code ETCDCTL_CACERT},
 * {@code ETCDCTL_CERT}, {@code ETCDCTL_KEY}, {@code ETCDCTL_INSECURE_SKIP_TLS_VERIFY}, {@code
 * ETCDCTL_USER}, {@code ETCDCTL_PASSWORD}). {@link #connect} makes the jetcd client; TLS is used
 * when an endpoint is https or any TLS setting is given, as etcdctl does.
 *
 * <p>Keys are read by Netty: PKCS#8 always, PKCS#1 and SEC1 ({@code RSA/EC PRIVATE KEY}, as cfssl
 * and older OpenSSL write them) only with Bouncy Castle's bcpkix on the class path (the agent has
 * it); convert one with {@code openssl pkcs8 -topk8 -nocrypt}.
 *
 * @param endpoints the cluster's client URLs (http or https)
 * @param caCert null: the JVM's trusted CAs
 * @param cert null: no client certificate
 * @param key the key of {@code cert}; given with it or not at all
 * @param user null: no authentication
 * @param password the user's password; null with no user
 */
public record EtcdConnection(List<URI> endpoints, Path caCert, Path cert, Path key, boolean insecureSkipTlsVerify,
    String user, String password) {

  public EtcdConnection {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints to connect to");
    }
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException(cert == null
          ? "--key (ETCDCTL_KEY) is given without --cert (ETCDCTL_CERT)"
          : "--cert (ETCDCTL_CERT) is given without --key (ETCDCTL_KEY)");
    }
    if (user != null && user.contains(":") && password == null) {
      int colon = user.indexOf(':');
      password = user.substring(colon + 1);
      user = user.substring(0, colon);
    }
    if (user != null && user.isEmpty()) {
      throw new IllegalArgumentException("--user (ETCDCTL_USER) names no user");
    }
  }

  /** {@code endpoints} in clear text, no credentials. */
  public static EtcdConnection plain(List<URI> endpoints) {
    return new EtcdConnection(endpoints, null, null, null, false, null, null);
  }

  /**
   * etcdctl's environment over {@code defaults}: each {@code ETCDCTL_*} variable that is set and
   * not empty replaces what {@code defaults} says.
   */
  public static EtcdConnection fromEnvironment(Map<String, String> env, EtcdConnection defaults) {
    String endpoints = env.get("ETCDCTL_ENDPOINTS");
    return new EtcdConnection(
        present(endpoints) ? Arrays.stream(endpoints.split(",")).map(String::trim).map(EtcdConnection::url).toList()
            : defaults.endpoints(),
        path(env.get("ETCDCTL_CACERT"), defaults.caCert()),
        path(env.get("ETCDCTL_CERT"), defaults.cert()),
        path(env.get("ETCDCTL_KEY"), defaults.key()),
        present(env.get("ETCDCTL_INSECURE_SKIP_TLS_VERIFY"))
            ? Boolean.parseBoolean(env.get("ETCDCTL_INSECURE_SKIP_TLS_VERIFY")) : defaults.insecureSkipTlsVerify(),
        present(env.get("ETCDCTL_USER")) ? env.get("ETCDCTL_USER") : defaults.user(),
        present(env.get("ETCDCTL_PASSWORD")) ? env.get("ETCDCTL_PASSWORD") : defaults.password());
  }

  /** The same TLS and credentials towards {@code others} (other members' client URLs). */
  public EtcdConnection withEndpoints(List<URI> others) {
    return new EtcdConnection(others, caCert, cert, key, insecureSkipTlsVerify, user, password);
  }

  /** Whether the connection is over TLS: an https endpoint or any TLS setting. */
  public boolean usesTls() {
    return caCert != null || cert != null || insecureSkipTlsVerify
        || endpoints.stream().anyMatch(u -> "https".equals(u.getScheme()));
  }

  /**
   * A jetcd client of the endpoints, over TLS when {@link #usesTls}, authenticating when a user is
   * given.
   *
   * @throws IllegalArgumentException when a certificate or key file cannot be read
   */
  public Client connect() {
    ClientBuilder builder = Client.builder().endpoints(endpoints.toArray(URI[]::new));
    if (usesTls()) {
      for (Path file : new Path[] {caCert, cert, key}) {
        if (file != null && !Files.isReadable(file)) {
          throw new IllegalArgumentException("cannot read " + file);
        }
      }
      try {
        builder.sslContext(tls -> {
          if (insecureSkipTlsVerify) {
            tls.trustManager(InsecureTrustManagerFactory.INSTANCE);
          } else if (caCert != null) {
            tls.trustManager(caCert.toFile());
          }
          if (cert != null) {
            tls.keyManager(cert.toFile(), key.toFile());
          }
        });
      } catch (SSLException | IllegalArgumentException e) {
        throw new IllegalArgumentException("cannot use the TLS files (--cacert " + caCert + ", --cert " + cert
            + ", --key " + key + "): " + e.getMessage(), e);
      }
    }
    if (user != null) {
      builder.user(ByteSequence.from(user, StandardCharsets.UTF_8))
          .password(ByteSequence.from(password == null ? "" : password, StandardCharsets.UTF_8));
    }
    return builder.build();
  }

  private static URI url(String endpoint) {
    // etcdctl takes host:port as well as URLs
    return URI.create(endpoint.contains("://") ? endpoint : "http://" + endpoint);
  }

  private static boolean present(String value) {
    return value != null && !value.isEmpty();
  }

  private static Path path(String value, Path fallback) {
    return present(value) ? Path.of(value) : fallback;
  }
}
