package keel.server.api;

import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.common.util.DomainSocketAddress;
import com.linecorp.armeria.server.ServerPort;
import io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.X509ExtendedTrustManager;
import keel.server.ServerConfig;
import keel.server.cli.EtcdUrls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client port's listeners as etcd's {@code --listen-client-urls} make them: http URLs serve
 * in clear text, https URLs over TLS (unix and unixs URLs alike on a unix socket) with {@code
 * --cert-file} and {@code --key-file}, and one
 * address named with both schemes serves both on one port (etcd's cmux). Over TLS, a client must
 * present a certificate signed by {@code --trusted-ca-file} when that file or {@code
 * --client-cert-auth} is given, as etcd's {@code TLSInfo.ServerConfig} requires. With {@code
 * --auto-tls} and no certificate file, a self-signed one ({@link AutoTls}); {@code
 * --client-crl-file} and {@code --client-cert-allowed-hostname} refuse more client certificates
 * ({@link TrustedCertificates}).
 */
public final class ClientListeners {
  private static final Logger LOG = LoggerFactory.getLogger(ClientListeners.class);

  private ClientListeners() {}

  /** Adds the listeners (and TLS when an https URL asks for it) to {@code builder}; returns it. */
  public static ServerBuilder addTo(ServerBuilder builder, ServerConfig config) throws IOException {
    Map<InetSocketAddress, Set<SessionProtocol>> byAddress = new LinkedHashMap<>();
    for (URI url : config.listenClientUrls()) {
      InetSocketAddress address = EtcdUrls.isUnix(url) ? unixSocket(url)
          : new InetSocketAddress(EtcdUrls.host(url), EtcdUrls.port(url));
      boolean secure = EtcdUrls.isSecure(url);
      byAddress.computeIfAbsent(address, a -> EnumSet.noneOf(SessionProtocol.class))
          .add(secure ? SessionProtocol.HTTPS : SessionProtocol.HTTP);
      if (!secure && !config.clientTls().isEmpty()) {
        LOG.warn("scheme is HTTP while key and cert files are present; ignoring key and cert files for client url {}",
            url);
      }
      if (!secure && config.clientTls().clientCertAuth()) {
        LOG.warn("scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for client url {}",
            url);
      }
    }
    byAddress.forEach((address, protocols) -> builder.port(new ServerPort(address, protocols)));
    ServerConfig.TlsInfo tls = AutoTls.resolve(config.clientTls(),
        config.dataDir().resolve("fixtures").resolve("client"), config.listenClientUrls(), "client");
    if (byAddress.values().stream().anyMatch(p -> p.contains(SessionProtocol.HTTPS))) {
      builder.tls(PemFiles.privateKey(tls.keyFile()), PemFiles.certificates(tls.certFile()));
      if (tls.requiresClientCertificate()) {
        X509ExtendedTrustManager trust = TrustedCertificates.of(tls);
        builder.tlsCustomizer(ssl -> ssl.trustManager(trust).clientAuth(ClientAuth.REQUIRE));
      }
    }
    return builder;
  }

  /**
   * etcd's unix listener: {@code unix://name:port} is the socket file {@code name:port} in the
   * working directory, a file left there by an earlier run removed first.
   */
  private static InetSocketAddress unixSocket(URI url) throws IOException {
    Path file = socketFile(url);
    Files.deleteIfExists(file);
    return DomainSocketAddress.of(file);
  }

  private static Path socketFile(URI url) {
    return Path.of(url.getRawAuthority()).toAbsolutePath();
  }

  /** Removes the socket files of the unix URLs once the listeners are closed, as etcd's do. */
  public static void removeUnixSockets(ServerConfig config) {
    for (URI url : config.listenClientUrls()) {
      if (EtcdUrls.isUnix(url)) {
        try {
          Files.deleteIfExists(socketFile(url));
        } catch (IOException e) {
          LOG.warn("cannot remove the unix socket of {}: {}", url, e.toString());
        }
      }
    }
  }

  /**
   * The TCP URLs of {@code ports} as clients reach them (port 0 resolved), https first where both
   * are served; unix sockets are left out (they have no port to resolve).
   */
  public static List<URI> urls(Iterable<ServerPort> ports) {
    List<URI> urls = new ArrayList<>();
    for (ServerPort port : ports) {
      InetSocketAddress address = port.localAddress();
      if (address instanceof DomainSocketAddress) {
        continue;
      }
      String scheme = port.hasHttps() ? "https" : "http";
      urls.add(URI.create(scheme + "://" + address.getAddress().getHostAddress() + ":" + address.getPort()));
    }
    return urls;
  }
}
