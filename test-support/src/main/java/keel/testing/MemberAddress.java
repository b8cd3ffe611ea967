package keel.testing;

import keel.server.embed.FreePorts;

/** Where one member listens: its name, a loopback host (127.0.0.x) and its client and peer ports. */
public record MemberAddress(String name, String host, int clientPort, int peerPort) {
  /** {@code name} on {@code host} with two free ports from {@link FreePorts}. */
  public static MemberAddress withFreePorts(String name, String host) {
    return new MemberAddress(name, host, FreePorts.allocate(host), FreePorts.allocate(host));
  }

  public String clientUrl() {
    return "http://" + host + ":" + clientPort;
  }

  public String peerUrl() {
    return "http://" + host + ":" + peerPort;
  }

  /** {@code host:port} of the client port, as etcdctl's {@code --endpoints} takes it. */
  public String clientEndpoint() {
    return host + ":" + clientPort;
  }
}
