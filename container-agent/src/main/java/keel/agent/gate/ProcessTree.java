package keel.agent.gate;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
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
 * The processes that make up one gated process (or one demo node), and how they are ended or
 * frozen: its root, the root's
 * descendants and, when the root leads a session of its own (it was started through
 * {@code setsid}), every other process of that session.
 *
 * <p>Why the session too: a child that double-forks (a daemon, or {@code (cmd &)} in a shell
 * script) is re-parented to PID 1 and drops out of the descendants, but it stays in the session
 * unless it calls {@code setsid} itself. Why the descendants too: a child that did call
 * {@code setsid} (Jupyter starts its kernels so) is still a child of the root.
 *
 * <p>Why zombies count as gone: a process that has exited but was not reaped is a zombie, and
 * {@link ProcessHandle#isAlive()} still says true for it. Re-parented orphans are reaped by PID 1,
 * which in a container (or a sandbox) may never do it. A zombie runs no code and holds no socket.
 *
 * <p>Why one pass over {@code /proc} per look-up instead of {@link ProcessHandle#descendants()}:
 * speed when it matters. A node continued after a pause must have its stale process dead within
 * 100 ms, and each full scan costs milliseconds on a busy machine. Without {@code /proc} (not
 * Linux) it falls back to {@link ProcessHandle#descendants()}.
 */
public final class ProcessTree {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessTree.class);
  private static final Path PROC = Path.of("/proc");
  private static final boolean HAS_PROC = Files.isDirectory(PROC.resolve("self"));

  private ProcessTree() {
  }

  /**
   * The tree as it is now: the root (first, if alive) and every live process below it, plus the
   * members of the root's session when {@code ownSession}. Take it before signalling: once the root
   * dies its children are re-parented and no longer below it.
   */
  static List<ProcessHandle> snapshot(ProcessHandle root, boolean ownSession) {
    return collect(List.of(root), ownSession ? root.pid() : -1);
  }

  /**
   * SIGTERM to the tree (unless {@code killAtNanos} is already past), SIGKILL to whatever is left
   * at {@code killAtNanos} (including children born meanwhile), and returns when every process of
   * the tree is gone. A process that survives SIGKILL (stuck in the kernel) is waited for, with a
   * WARN every 5 s: returning early would break "at most one gated process at a time".
   */
  public static void terminate(String node, ProcessHandle root, boolean ownSession, long killAtNanos) {
    long session = ownSession ? root.pid() : -1;
    // Taken while the root lives: a child in a session of its own (Jupyter's kernels, a demo
    // node's gated process) is found only below the root, and a dead root's children are
    // re-parented to PID 1.
    List<ProcessHandle> tree = collect(List.of(root), session);
    if (ownSession && System.nanoTime() - killAtNanos >= 0) {
      // Already past the deadline (a node resumed after a pause): the root, the process that
      // answers, dies before the others.
      root.destroyForcibly();
    }
    Set<Long> terminated = new HashSet<>();
    while (!tree.isEmpty() && System.nanoTime() - killAtNanos < 0) {
      for (ProcessHandle p : tree) {
        if (terminated.add(p.pid())) {
          p.destroy(); // SIGTERM, once per process
        }
      }
      if (awaitGone(tree, killAtNanos)) {
        tree = stillThere(tree, root, session); // a child born meanwhile gets its SIGTERM too
      }
    }
    // SIGKILL what is known first, then look again until nothing is left: a process may have
    // forked between a look-up and its signal.
    long nextComplaint = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!tree.isEmpty()) {
      tree.forEach(ProcessHandle::destroyForcibly);
      if (!awaitGone(tree, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500))
          && System.nanoTime() - nextComplaint >= 0) {
        LOG.warn("{}: processes of the gated process survive SIGKILL: {} (stuck in the kernel?);"
            + " still waiting", node, tree.stream().filter(p -> !isGone(p)).map(ProcessHandle::pid).toList());
        nextComplaint = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      }
      tree = stillThere(tree, root, session);
    }
  }

  /**
   * Sends {@code signal} ({@code STOP}, {@code CONT}, ...) to every process of the tree at once,
   * the root first, through {@code kill(1)} (the JDK sends only TERM and KILL). A process that ended
   * between the look-up and the signal is not an error (a node resumed after a pause may kill its
   * gated process first).
   *
   * @return {@link System#nanoTime()} just before kill was started (after the look-up), for
   *     callers that time what follows the signal
   * @throws IllegalStateException if kill fails otherwise
   */
  public static long signal(ProcessHandle root, boolean ownSession, String signal) {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    snapshot(root, ownSession).forEach(p -> command.add(Long.toString(p.pid())));
    long sent = System.nanoTime();
    if (command.size() == 2) {
      return sent;
    }
    try {
      Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(kill.getInputStream().readAllBytes());
      boolean onlyGone = !output.isBlank()
          && output.lines().allMatch(l -> l.isBlank() || l.endsWith("No such process"));
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0 && !onlyGone) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + output.strip());
      }
      return sent;
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(String.join(" ", command) + " interrupted", e);
    }
  }

  /**
   * Runs the look-ups of {@link #terminate} without signalling anyone, so that their classes and
   * code paths are loaded before they are needed in a hurry (after a pause).
   */
  static void warmUp(ProcessHandle root, boolean ownSession) {
    long session = ownSession ? root.pid() : -1;
    stillThere(collect(List.of(root), session), root, session);
    awaitGone(List.of(root), System.nanoTime());
  }

  /** What is alive of {@code known}, below them, and of the root's tree and session. */
  private static List<ProcessHandle> stillThere(List<ProcessHandle> known, ProcessHandle root, long session) {
    List<ProcessHandle> from = new ArrayList<>(known.size() + 1);
    from.add(root);
    from.addAll(known);
    return collect(from, session);
  }

  /**
   * The live processes among {@code roots}, their descendants and the members of {@code session}
   * (none when negative), from one pass over {@code /proc}.
   */
  private static List<ProcessHandle> collect(Collection<ProcessHandle> roots, long session) {
    Map<Long, ProcessHandle> found = new LinkedHashMap<>();
    if (!HAS_PROC) {
      for (ProcessHandle r : roots) {
        if (r.isAlive()) {
          found.putIfAbsent(r.pid(), r);
          r.descendants().forEach(d -> found.putIfAbsent(d.pid(), d));
        }
      }
      return new ArrayList<>(found.values());
    }
    Map<Long, Stat> all = scan();
    Map<Long, List<Long>> children = new HashMap<>();
    for (Map.Entry<Long, Stat> e : all.entrySet()) {
      children.computeIfAbsent(e.getValue().parent(), k -> new ArrayList<>()).add(e.getKey());
    }
    ArrayDeque<Long> toVisit = new ArrayDeque<>();
    for (ProcessHandle r : roots) {
      Stat s = all.get(r.pid());
      // The handle, not just the pid, decides: it knows its start time, so a reused pid is not it.
      if (s != null && !s.exited() && r.isAlive() && found.putIfAbsent(r.pid(), r) == null) {
        toVisit.add(r.pid());
      }
    }
    if (session >= 0) {
      for (Map.Entry<Long, Stat> e : all.entrySet()) {
        if (e.getValue().session() == session && !found.containsKey(e.getKey())) {
          toVisit.add(e.getKey());
        }
      }
    }
    while (!toVisit.isEmpty()) {
      long pid = toVisit.poll();
      Stat s = all.get(pid);
      if (s == null) {
        continue;
      }
      if (!found.containsKey(pid) && !s.exited()) {
        ProcessHandle.of(pid).ifPresent(p -> found.put(pid, p));
      }
      for (long child : children.getOrDefault(pid, List.of())) {
        if (!found.containsKey(child)) {
          toVisit.add(child);
        }
      }
    }
    return new ArrayList<>(found.values());
  }

  /** Polls until all are gone (true) or the deadline passes (false). */
  private static boolean awaitGone(List<ProcessHandle> processes, long deadlineNanos) {
    long pause = TimeUnit.MICROSECONDS.toNanos(200);
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
    return HAS_PROC && stat(p.pid()).map(Stat::exited).orElse(true);
  }

  /** The fields of {@code /proc/<pid>/stat} we use. */
  record Stat(char state, long parent, long processGroup, long session) {
    /** A zombie (exited, not reaped) or dead. */
    boolean exited() {
      return state == 'Z' || state == 'X' || state == 'x';
    }
  }

  /** Every process's stat, by pid: one pass over {@code /proc}. */
  private static Map<Long, Stat> scan() {
    Map<Long, Stat> all = new HashMap<>();
    String[] names = PROC.toFile().list();
    if (names == null) {
      return all;
    }
    for (String name : names) {
      if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
        try {
          long pid = Long.parseLong(name);
          stat(pid).ifPresent(s -> all.put(pid, s));
        } catch (NumberFormatException e) {
          // not a process directory
        }
      }
    }
    return all;
  }

  /**
   * Parses {@code /proc/<pid>/stat}: {@code pid (comm) state ppid pgrp session ...}. The command
   * name may hold spaces and parentheses, so the fields start after the last ')'.
   */
  static Optional<Stat> stat(long pid) {
    String line;
    try (FileInputStream in = new FileInputStream("/proc/" + pid + "/stat")) {
      line = new String(in.readNBytes(512), StandardCharsets.ISO_8859_1);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    int close = line.lastIndexOf(')');
    if (close < 0) {
      return Optional.empty();
    }
    String[] f = line.substring(close + 1).trim().split(" ", 5);
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
