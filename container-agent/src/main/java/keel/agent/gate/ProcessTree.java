package keel.agent.gate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processes that make up one gated process: its root, the root's descendants and, when the
 * root leads a session of its own (it was started through {@code setsid}), every other process of
 * that session.
 *
 * <p>Why the session too: a child that double-forks (a daemon, or {@code (cmd &)} in a shell
 * script) is re-parented to PID 1 and drops out of {@link ProcessHandle#descendants()}, but it stays
 * in the session unless it calls {@code setsid} itself. Reading {@code /proc/<pid>/stat} finds it.
 *
 * <p>Why zombies count as gone: a process that has exited but was not reaped is a zombie, and
 * {@link ProcessHandle#isAlive()} still says true for it. Re-parented orphans are reaped by PID 1,
 * which in a container (or a sandbox) may never do it. A zombie runs no code and holds no socket.
 */
final class ProcessTree {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessTree.class);
  private static final Path PROC = Path.of("/proc");
  private static final boolean HAS_PROC = Files.isDirectory(PROC.resolve("self"));

  private ProcessTree() {
  }

  /**
   * The tree as it is now: the root (first) and every live process below it, plus the members of
   * the root's session when {@code ownSession}. Take it before signalling: once the root dies its
   * children are re-parented and {@link ProcessHandle#descendants()} no longer finds them.
   */
  static List<ProcessHandle> snapshot(ProcessHandle root, boolean ownSession) {
    Map<Long, ProcessHandle> tree = new LinkedHashMap<>();
    tree.put(root.pid(), root);
    root.descendants().forEach(p -> tree.putIfAbsent(p.pid(), p));
    if (ownSession) {
      for (long pid : sessionMembers(root.pid())) {
        ProcessHandle.of(pid).ifPresent(p -> tree.putIfAbsent(p.pid(), p));
      }
    }
    List<ProcessHandle> live = new ArrayList<>();
    for (ProcessHandle p : tree.values()) {
      if (!isGone(p)) {
        live.add(p);
      }
    }
    return live;
  }

  /**
   * SIGTERM to the tree (unless {@code killAtNanos} is already past), SIGKILL to whatever is left
   * at {@code killAtNanos} (including children born meanwhile), and returns when every process of
   * the tree is gone. A process that survives SIGKILL (stuck in the kernel) is waited for, with a
   * WARN every 5 s: returning early would break "at most one gated process at a time".
   */
  static void terminate(String node, ProcessHandle root, boolean ownSession, long killAtNanos) {
    List<ProcessHandle> tree = snapshot(root, ownSession);
    Set<Long> terminated = new HashSet<>();
    while (!tree.isEmpty() && System.nanoTime() - killAtNanos < 0) {
      for (ProcessHandle p : tree) {
        if (terminated.add(p.pid())) {
          p.destroy(); // SIGTERM, once per process
        }
      }
      if (awaitGone(tree, killAtNanos)) {
        tree = stillThere(tree, root, ownSession); // a child born meanwhile gets its SIGTERM too
      }
    }
    // SIGKILL until nothing is left: a process may have forked between a snapshot and its signal.
    long nextComplaint = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    tree = stillThere(tree, root, ownSession);
    while (!tree.isEmpty()) {
      tree.forEach(ProcessHandle::destroyForcibly);
      if (!awaitGone(tree, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500))
          && System.nanoTime() - nextComplaint >= 0) {
        LOG.warn("{}: processes of the gated process survive SIGKILL: {} (stuck in the kernel?);"
            + " still waiting", node, tree.stream().filter(p -> !isGone(p)).map(ProcessHandle::pid).toList());
        nextComplaint = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      }
      tree = stillThere(tree, root, ownSession);
    }
  }

  /** What is alive of {@code known} and their descendants, and of a new snapshot from the root. */
  private static List<ProcessHandle> stillThere(List<ProcessHandle> known, ProcessHandle root,
      boolean ownSession) {
    Map<Long, ProcessHandle> all = new LinkedHashMap<>();
    for (ProcessHandle p : known) {
      if (!isGone(p)) {
        all.putIfAbsent(p.pid(), p);
        p.descendants().forEach(d -> all.putIfAbsent(d.pid(), d));
      }
    }
    snapshot(root, ownSession).forEach(p -> all.putIfAbsent(p.pid(), p));
    List<ProcessHandle> live = new ArrayList<>(all.values());
    live.removeIf(ProcessTree::isGone);
    return live;
  }

  /** Polls until all are gone (true) or the deadline passes (false). */
  private static boolean awaitGone(List<ProcessHandle> processes, long deadlineNanos) {
    long pause = TimeUnit.MILLISECONDS.toNanos(1);
    while (true) {
      if (processes.stream().allMatch(ProcessTree::isGone)) {
        return true;
      }
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      // Only the direct child has an exit event (and zombies have none): poll, briefly at first.
      LockSupport.parkNanos(Math.min(pause, left));
      pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  /** True once the process has exited (reaped or a zombie), or its pid now names another process. */
  static boolean isGone(ProcessHandle p) {
    if (!p.isAlive()) {
      return true;
    }
    // Without /proc (not Linux) isAlive() is all there is; with it, no stat file means gone.
    return HAS_PROC && stat(p.pid()).map(s -> s.state() == 'Z' || s.state() == 'X').orElse(true);
  }

  /** Pids whose session id is {@code sessionId} (Linux {@code /proc}; empty elsewhere). */
  static List<Long> sessionMembers(long sessionId) {
    List<Long> members = new ArrayList<>();
    if (!HAS_PROC) {
      return members;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, ProcessTree::isPidDirectory)) {
      for (Path dir : dirs) {
        long pid = Long.parseLong(dir.getFileName().toString());
        stat(pid).filter(s -> s.session() == sessionId).ifPresent(s -> members.add(pid));
      }
    } catch (IOException e) {
      // /proc vanished under us: nothing more to find than descendants() already gave.
    }
    return members;
  }

  private static boolean isPidDirectory(Path p) {
    String name = p.getFileName().toString();
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!Character.isDigit(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** The fields of {@code /proc/<pid>/stat} we use. */
  record Stat(char state, long parent, long processGroup, long session) {
  }

  /**
   * Parses {@code /proc/<pid>/stat}: {@code pid (comm) state ppid pgrp session ...}. The command
   * name may hold spaces and parentheses, so the fields start after the last ')'.
   */
  static Optional<Stat> stat(long pid) {
    String line;
    try {
      line = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    int close = line.lastIndexOf(')');
    if (close < 0) {
      return Optional.empty();
    }
    String[] f = line.substring(close + 1).trim().split(" ");
    if (f.length < 4 || f[0].isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Stat(f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]),
          Long.parseLong(f[3])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
