package keel.agent.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A line echo server for proxy tests: answers each line with {@code <tag>:<line>}, so a test sees
 * which backend a connection reached. Closes every socket and joins every thread on close.
 */
final class TaggedEchoServer implements AutoCloseable {
  private final String tag;
  private final ServerSocket server;
  private final List<Socket> sockets = new ArrayList<>(); // guarded by itself
  private final List<Thread> threads = new ArrayList<>(); // guarded by sockets
  private final Thread acceptThread;

  TaggedEchoServer(String tag) throws IOException {
    this.tag = tag;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptThread = new Thread(this::acceptLoop, "echo-" + tag + "-accept");
    acceptThread.setDaemon(true);
    acceptThread.start();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  private void acceptLoop() {
    while (true) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return;
      }
      Thread t = new Thread(() -> echo(s), "echo-" + tag);
      t.setDaemon(true);
      synchronized (sockets) {
        sockets.add(s);
        threads.add(t);
      }
      t.start();
    }
  }

  private void echo(Socket s) {
    try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
      OutputStream out = s.getOutputStream();
      String line;
      while ((line = in.readLine()) != null) {
        out.write((tag + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      out.write((tag + ":bye\n").getBytes(StandardCharsets.UTF_8)); // after the client's end-of-stream
    } catch (IOException e) {
      // the connection was cut
    }
  }

  @Override
  public void close() throws Exception {
    server.close();
    acceptThread.join(5000);
    List<Thread> toJoin;
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
      toJoin = new ArrayList<>(threads);
    }
    for (Thread t : toJoin) {
      t.join(5000);
    }
  }
}
