package keel.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** What the kernel holds for a frozen process: bytes that arrived on its sockets and nobody read. */
public final class SocketQueues {
  private SocketQueues() {}

  /**
   * Sends {@code count} requests ({@code send}, each on a stream of its own) to a member frozen by
   * SIGSTOP that listens on {@code port}, and returns their futures once all of them wait, unread,
   * in the kernel's receive queues of its sockets (each is an HTTP/2 HEADERS and a DATA frame, over
   * 20 bytes): when the member wakes, it finds them there at once.
   */
  public static <T> List<CompletableFuture<T>> queueInFrozenMember(int port, int count,
      Supplier<CompletableFuture<T>> send, String what) throws IOException {
    long waitingBefore = bytesWaitingFor(port);
    List<CompletableFuture<T>> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(send.get());
    }
    Deadlines.await(what + " waiting in the frozen member's socket", Duration.ofSeconds(5))
        .until(() -> bytesWaitingFor(port) >= waitingBefore + 20L * count);
    return sent;
  }

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
