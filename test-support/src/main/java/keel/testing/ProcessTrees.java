package keel.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Signals to whole process trees (a process and all its descendants), and a JVM shutdown hook
 * that kills every tree a test registered and did not stop, so no member outlives the test JVM.
 */
public final class ProcessTrees {
  private static final Set<ProcessHandle> REGISTERED = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> REGISTERED.forEach(p -> kill9(p)), "keel-test-process-reaper"));
  }

  private ProcessTrees() {}

  /** Remembers {@code process} so the shutdown hook kills it if nobody else does. */
  public static void register(Process process) {
    register(process.toHandle());
  }

  /** As {@link #register(Process)}, for a process this JVM did not start itself (e.g. a demo node). */
  public static void register(ProcessHandle process) {
    REGISTERED.add(process);
  }

  /**
   * Asks the tree to stop (SIGTERM to every process), waits up to {@code grace} (scaled), then
   * SIGKILLs what is left and waits for it to be gone. Returns once no process of the tree is alive.
   */
  public static void stop(ProcessHandle root, Duration grace) {
    List<ProcessHandle> tree = tree(root);
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + Deadlines.scaled(grace).toNanos();
    for (ProcessHandle p : tree) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        waitGone(p, left);
      }
    }
    kill9(root, tree);
  }

  /** SIGKILL to every process of the tree (kill -9), then waits until they are gone. */
  public static void kill9(ProcessHandle root) {
    kill9(root, tree(root));
  }

  private static void kill9(ProcessHandle root, List<ProcessHandle> tree) {
    tree.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle p : tree) {
      if (!waitGone(p, Deadlines.scaled(Duration.ofSeconds(10)).toNanos())) {
        throw new IllegalStateException("process " + p.pid() + " survived SIGKILL");
      }
    }
    REGISTERED.remove(root);
  }

  /** SIGSTOP to every process of the tree: it stops answering, its sockets stay open. */
  public static void pause(ProcessHandle root) {
    signal(root, "STOP");
  }

  /** SIGCONT to every process of the tree. */
  public static void resume(ProcessHandle root) {
    signal(root, "CONT");
  }

  private static void signal(ProcessHandle root, String signal) {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    tree(root).forEach(p -> command.add(Long.toString(p.pid())));
    try {
      Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(kill.getInputStream().readAllBytes());
      if (!kill.waitFor(Deadlines.scaled(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS)
          || kill.exitValue() != 0 && !onlyGone(output)) {
        throw new IllegalStateException(command + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException(command + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(command + " interrupted", e);
    }
  }

  /** The root first, then its descendants, as they are now. */
  private static List<ProcessHandle> tree(ProcessHandle root) {
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(root);
    root.descendants().forEach(tree::add);
    return tree;
  }

  private static boolean waitGone(ProcessHandle p, long nanos) {
    try {
      p.onExit().get(nanos, TimeUnit.NANOSECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return !p.isAlive();
    } catch (java.util.concurrent.ExecutionException e) {
      return !p.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    }
  }

  /**
   * Whether kill's complaints are all "No such process": a process of the tree that ended between
   * the look-up and the signal (a resumed agent may kill its gated process first) is not an error.
   */
  private static boolean onlyGone(String killOutput) {
    return !killOutput.isBlank() && killOutput.lines().allMatch(l -> l.isBlank() || l.endsWith("No such process"));
  }
}
