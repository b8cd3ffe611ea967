package keel.server.embed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports below 32768, so they never collide with the kernel's ephemeral range (where
 * outgoing connections take their local port): a peer port a stopped member gives up is not taken
 * by some client's outgoing connection before the member restarts. A port is handed out at most
 * once per JVM (in-process clusters and member processes started by one test JVM never share
 * one); between the check and the bind another program may take it, a risk tests accept.
 */
public final class FreePorts {
  static final int LOWEST = 20_000;
  static final int HIGHEST = 32_767;
  private static final Set<Integer> HANDED_OUT = new HashSet<>();

  private FreePorts() {}

  /** One port free on {@code host} (a loopback address such as 127.0.0.1). */
  public static synchronized int allocate(String host) {
    int span = HIGHEST - LOWEST + 1;
    int start = ThreadLocalRandom.current().nextInt(span);
    for (int i = 0; i < span; i++) {
      int port = LOWEST + (start + i) % span;
      if (!HANDED_OUT.contains(port) && isFree(host, port)) {
        HANDED_OUT.add(port);
        return port;
      }
    }
    throw new IllegalStateException("no free port in " + LOWEST + ".." + HIGHEST + " on " + host);
  }

  static boolean isFree(String host, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
