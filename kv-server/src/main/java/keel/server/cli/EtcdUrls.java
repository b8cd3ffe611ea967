package keel.server.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * etcd's URL rules for flags, with etcd's error texts: {@code types.NewURLs} for every URL list,
 * {@code types.NewURLsMap} for {@code --initial-cluster}, and {@code embed.Config}'s
 * {@code checkBindURLs} / {@code checkHostURLs}.
 *
 * <p>Unlike etcd, lists keep the order they were given in (etcd sorts them); duplicates are
 * dropped, as etcd's {@code UniqueURLs} does. {@code unix://name:port} and {@code unixs://} name
 * a unix socket file {@code name:port} in the working directory, as etcd's.
 */
public final class EtcdUrls {
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
          + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private EtcdUrls() {}

  /**
   * A comma-separated URL list such as {@code http://10.0.0.1:2380,http://10.0.0.2:2380}.
   *
   * @throws IllegalArgumentException with etcd's text for the first bad URL
   */
  public static List<URI> parse(String commaSeparated) {
    LinkedHashSet<URI> urls = new LinkedHashSet<>();
    for (String part : commaSeparated.split(",", -1)) {
      urls.add(parseOne(part.trim()));
    }
    return List.copyOf(urls);
  }

  /**
   * {@code --initial-cluster}: {@code name=url,name=url,...}; a name given several times has
   * several peer URLs. Names keep their first-seen order, URLs their given order.
   */
  public static Map<String, List<URI>> parseCluster(String text) {
    // etcd's types.parse: split on ',', skip empty items, key before the first '='.
    Map<String, List<String>> raw = new LinkedHashMap<>();
    for (String item : text.split(",", -1)) {
      if (item.isEmpty()) {
        continue;
      }
      int eq = item.indexOf('=');
      String name = eq >= 0 ? item.substring(0, eq) : item;
      String url = eq >= 0 ? item.substring(eq + 1) : "";
      raw.computeIfAbsent(name, k -> new ArrayList<>()).add(url);
    }
    Map<String, List<URI>> cluster = new LinkedHashMap<>();
    raw.forEach((name, urls) -> {
      List<URI> parsed = new ArrayList<>();
      for (String url : urls) {
        parsed.add(parseOne(url.trim()));
      }
      cluster.put(name, List.copyOf(parsed));
    });
    return cluster;
  }

  /**
   * The host of a URL as etcd reads it (Go's {@code SplitHostPort}), without IPv6 brackets.
   * Unlike {@link URI#getHost()} this also answers for hosts {@code java.net.URI} does not
   * accept as server names, such as Docker's {@code keel_node1}.
   */
  public static String host(URI url) {
    return splitHostPort(url.getRawAuthority())[0];
  }

  /** The port of a URL; see {@link #host(URI)}. */
  public static int port(URI url) {
    return Integer.parseInt(splitHostPort(url.getRawAuthority())[1]);
  }

  /** Whether {@code url} names a unix socket ({@code unix://}, or {@code unixs://} with TLS). */
  public static boolean isUnix(URI url) {
    return "unix".equals(url.getScheme()) || "unixs".equals(url.getScheme());
  }

  /** Whether {@code url} is served over TLS ({@code https://} or {@code unixs://}). */
  public static boolean isSecure(URI url) {
    return "https".equals(url.getScheme()) || "unixs".equals(url.getScheme());
  }

  /**
   * etcd's {@code checkBindURLs}: a URL to listen on names an IP address or {@code localhost}
   * (a unix socket's name is a file name).
   */
  static void checkBind(List<URI> urls) {
    for (URI url : urls) {
      if (isUnix(url)) {
        continue;
      }
      String host = host(url);
      if (!host.equals("localhost") && !isIpLiteral(host)) {
        throw new IllegalArgumentException("expected IP in URL for binding (" + url + ")");
      }
    }
  }

  /** etcd's {@code checkHostURLs}, with its message: advertised URLs name a host. */
  static void checkHost(String flag, List<URI> urls) {
    for (URI url : urls) {
      if (host(url).isEmpty()) {
        List<String> all = urls.stream().map(URI::toString).toList();
        throw new IllegalArgumentException(flag + " \"" + String.join(",", all)
            + "\" must be \"host:port\" (unexpected empty host (" + url + "))");
      }
    }
  }

  private static URI parseOne(String in) {
    URI url;
    try {
      url = new URI(in);
    } catch (URISyntaxException e) {
      // Go's url.Parse reads "10.0.0.1:2380" as a path (a scheme cannot start with a digit).
      int colon = in.indexOf(':');
      int slash = in.indexOf('/');
      String reason = colon > 0 && (slash < 0 || colon < slash)
          && !Character.isLetter(in.charAt(0))
          ? "first path segment in URL cannot contain colon" : e.getReason();
      throw new IllegalArgumentException("parse \"" + in + "\": " + reason);
    }
    String scheme = url.getScheme();
    if (!isUnix(url) && !"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException(
          "URL scheme must be http, https, unix, or unixs: " + in);
    }
    if (url.isOpaque() || splitHostPort(url.getRawAuthority()) == null) {
      throw new IllegalArgumentException("URL address does not have the form \"host:port\": " + in);
    }
    if (url.getRawPath() != null && !url.getRawPath().isEmpty()) {
      throw new IllegalArgumentException("URL must not contain a path: " + in);
    }
    return url;
  }

  /**
   * Go's {@code net.SplitHostPort} on a URL's authority (user info dropped), plus a numeric
   * port check Go leaves to the dialer; null when it is not {@code host:port}.
   */
  private static String[] splitHostPort(String authority) {
    if (authority == null) {
      return null;
    }
    String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
    String host;
    String port;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
        return null;
      }
      host = hostPort.substring(1, close);
      port = hostPort.substring(close + 2);
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon < 0 || hostPort.indexOf(':') != colon) {
        return null; // missing port, or too many colons (an IPv6 address needs brackets)
      }
      host = hostPort.substring(0, colon);
      port = hostPort.substring(colon + 1);
    }
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)
        || Integer.parseInt(port) > 65535) {
      return null;
    }
    return new String[] {host, port};
  }

  private static boolean isIpLiteral(String host) {
    if (IPV4.matcher(host).matches()) {
      return true;
    }
    if (!IPV6_CHARS.matcher(host).matches()) {
      return false;
    }
    try {
      // A literal with a colon is parsed, never looked up.
      java.net.InetAddress.getByName("[" + host + "]");
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
