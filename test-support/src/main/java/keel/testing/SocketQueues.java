package keel.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the kernel holds for a frozen process: bytes that arrived on its sockets and nobody read. */
public final class SocketQueues {
  private SocketQueues() {}

  /**
   * Bytes received on this machine's established TCP connections to local port {@code port} that
   * nobody has read yet (the kernel's rx_queue in /proc/net/tcp and tcp6).
   */
  public static long bytesWaitingFor(int port) throws IOException {
    long waiting = 0;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) { // after the heading
        String[] f = line.trim().split("\\s+");
        String local = f[1];
        int localPort = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
        if (localPort == port && f[3].equals("01")) { // ESTABLISHED
          waiting += Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
        }
      }
    }
    return waiting;
  }
}
