package keel.server.cluster;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;

/**
 * Peer URLs as etcd's MemberAdd and MemberUpdate accept them ({@code types.NewURLs}): each an
 * http, https, unix or unixs URL with a host and a port and no path. Anything else is etcd's
 * "given member URLs are invalid".
 */
public final class PeerUrls {
  private PeerUrls() {}

  /** The URLs as given, each checked; at least one (Keel needs one to reach the member). */
  public static List<String> parse(List<String> urls) {
    if (urls.isEmpty()) {
      throw new EtcdException(EtcdError.MEMBER_BAD_URLS);
    }
    List<String> checked = new ArrayList<>();
    for (String url : urls) {
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new EtcdException(EtcdError.MEMBER_BAD_URLS);
      }
      String scheme = uri.getScheme();
      boolean knownScheme = scheme != null && List.of("http", "https", "unix", "unixs").contains(scheme);
      String authority = uri.getRawAuthority();
      boolean hostAndPort = authority != null && authority.lastIndexOf(':') > 0
          && authority.substring(authority.lastIndexOf(':') + 1).matches("[0-9]+");
      boolean noPath = uri.getRawPath() == null || uri.getRawPath().isEmpty();
      if (!knownScheme || !hostAndPort || !noPath) {
        throw new EtcdException(EtcdError.MEMBER_BAD_URLS);
      }
      checked.add(url);
    }
    return checked;
  }
}
