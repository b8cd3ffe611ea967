package keel.agent.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import keel.agent.demo.DemoLayout.DemoNode;
import keel.agent.gate.ProcessTree;

/**
 * Starts and signals a demo's node processes. Each node is {@code docker/entrypoint.sh}, the
 * container's own entrypoint, run with the node's environment in a session of its own (so a
 * Ctrl-C in the terminal reaches only the demo, which then stops the nodes in order); its pid is
 * kept in {@code <node>/pid} so that another {@code keel demo} command can signal it. Signals go
 * to the whole process tree (the agent and the gated process it runs), as a frozen container.
 */
public final class DemoNodes {
  private final DemoLayout layout;

  public DemoNodes(DemoLayout layout) {
    this.layout = layout;
  }

  /** What a node's process is doing now. */
  public enum State { RUNNING, PAUSED, STOPPED }

  /** The environment entrypoint.sh reads for {@code node}. */
  public Map<String, String> environment(DemoNode node) {
    return Map.ofEntries(
        Map.entry("KEEL_NAME", node.name()),
        Map.entry("KEEL_IP", node.ip()),
        Map.entry("KEEL_CLUSTER", layout.clusterSpec()),
        Map.entry("KEEL_CLUSTER_TOKEN", "keel-demo"),
        Map.entry("KEEL_DATA_DIR", node.dataDir().toString()),
        Map.entry("KEEL_HOSTS_FILE", node.hostsFile().toString()),
        Map.entry("KEEL_AUTHORIZED_KEYS", node.authorizedKeys().toString()),
        Map.entry("KEEL_SSH_DIR", node.sshDir().toString()),
        Map.entry("KEEL_BIN", layout.home().resolve("keel").toString()),
        Map.entry("KEEL_NO_BUILD", "1"));
  }

  /** The arguments after the entrypoint (passed through to {@code keel agent}). */
  public List<String> agentArgs(DemoNode node) {
    return List.of("--gate-cmd", layout.gateCmd(), "--gate-record", node.gateRecord().toString());
  }

  /** Starts {@code node} (it must not be running); returns its pid. */
  public long start(DemoNode node) throws IOException {
    if (state(node) != State.STOPPED) {
      throw new IllegalStateException(node.name() + " is already running (pid " + pid(node).orElseThrow() + ")");
    }
    Files.createDirectories(node.dir());
    if (!Files.exists(node.hostsFile())) {
      // What Docker would have put there: Keel's block goes below and these lines stay.
      Files.writeString(node.hostsFile(), "127.0.0.1\tlocalhost\n" + node.ip() + "\t" + node.name() + "-container\n");
    }
    List<String> command = new ArrayList<>();
    command.add("setsid");
    command.add("bash");
    command.add(layout.entrypoint().toString());
    command.addAll(agentArgs(node));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(environment(node));
    Process process = builder.start();
    Files.writeString(node.pidFile(), process.pid() + "\n");
    return process.pid();
  }

  public Optional<Long> pid(DemoNode node) {
    try {
      return Files.exists(node.pidFile())
          ? Optional.of(Long.parseLong(Files.readString(node.pidFile()).strip())) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  public Optional<ProcessHandle> process(DemoNode node) {
    return pid(node).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
  }

  public State state(DemoNode node) {
    Optional<ProcessHandle> p = process(node);
    if (p.isEmpty()) {
      return State.STOPPED;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.get().pid()), "stat"));
      // pid (comm) S ...: the state is the first field after the command's closing parenthesis.
      char s = stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
      return s == 'T' || s == 't' ? State.PAUSED : s == 'Z' || s == 'X' ? State.STOPPED : State.RUNNING;
    } catch (IOException | RuntimeException e) {
      return State.STOPPED;
    }
  }

  /** kill -9 of the node's whole tree; returns when it is gone. */
  public void kill(DemoNode node) {
    process(node).ifPresent(root -> ProcessTree.terminate(node.name(), root, true, System.nanoTime()));
  }

  /**
   * SIGTERM to the node's root (the agent stops its gated process with its own grace, then itself),
   * then SIGKILL to whatever of the tree is left after {@code grace}; returns when all is gone.
   */
  public void stop(DemoNode node, Duration grace) {
    process(node).ifPresent(root -> {
      if (state(node) == State.PAUSED) {
        ProcessTree.signal(root, true, "CONT");
      }
      List<ProcessHandle> tree = new ArrayList<>(List.of(root));
      root.descendants().forEach(tree::add); // before the root goes: its children are re-parented then
      root.destroy();
      try {
        root.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        // still running after the grace: killed below
      }
      for (ProcessHandle p : tree) {
        ProcessTree.terminate(node.name(), p, false, System.nanoTime());
      }
    });
  }

  /** SIGSTOP to every process of the node's tree: a frozen container. */
  public void pause(DemoNode node) {
    ProcessTree.signal(process(node).orElseThrow(() -> notRunning(node)), true, "STOP");
  }

  /**
   * SIGCONT to every process of the node's tree, the agent first; returns {@link System#nanoTime()}
   * just before the signal went out (after the look-up of the tree).
   */
  public long resume(DemoNode node) {
    return ProcessTree.signal(process(node).orElseThrow(() -> notRunning(node)), true, "CONT");
  }

  private static IllegalStateException notRunning(DemoNode node) {
    return new IllegalStateException(node.name() + " is not running");
  }
}
