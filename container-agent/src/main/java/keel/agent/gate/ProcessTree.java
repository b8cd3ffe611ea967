package keel.agent.gate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
  private static final Path PROC = Path.of("/proc");

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

  /** True once the process has exited (reaped or a zombie), or its pid now names another process. */
  static boolean isGone(ProcessHandle p) {
    if (!p.isAlive()) {
      return true;
    }
    return stat(p.pid()).map(s -> s.state() == 'Z' || s.state() == 'X').orElse(true);
  }

  /** Pids whose session id is {@code sessionId} (Linux {@code /proc}; empty elsewhere). */
  static List<Long> sessionMembers(long sessionId) {
    List<Long> members = new ArrayList<>();
    if (!Files.isDirectory(PROC)) {
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
