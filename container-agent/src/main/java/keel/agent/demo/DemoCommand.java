package keel.agent.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import keel.agent.demo.DemoLayout.DemoNode;
import keel.agent.gate.Executables;
import keel.agent.hosts.HostsTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code keel demo}: a whole cluster of containers on one machine, without Docker. Each node is
 * the image's entrypoint (server + agent in one JVM) on its own loopback address with the
 * container's ports, its own data dir, hosts file and authorized_keys. Then
 * {@code keel demo status|kill|pause|resume|restart NODE} drive the failover scenarios from
 * another terminal; Ctrl-C stops every node and removes the demo directory.
 */
@Command(name = "demo", sortOptions = false,
    description = {"Run N nodes (server + agent each) on 127.0.0.11... of this machine, as the"
        + " containers of docker/compose.yaml would run; Ctrl-C stops them all."},
    subcommands = {DemoCommand.Status.class, DemoCommand.Kill.class, DemoCommand.Pause.class,
        DemoCommand.Resume.class, DemoCommand.Restart.class, DemoCommand.Stop.class})
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--nodes", defaultValue = "5", description = "How many nodes (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--dir", defaultValue = "demo.keel", scope = CommandLine.ScopeType.INHERIT,
      description = "The demo directory (default ./${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--base-ip", defaultValue = DemoLayout.DEFAULT_BASE_IP,
      description = "The first node's loopback address (default ${DEFAULT-VALUE}).")
  String baseIp;

  @Option(names = "--gate-cmd", defaultValue = "auto",
      description = "The gated process: auto (Jupyter when installed, else the built-in page), jupyter, builtin, or a command.")
  String gateCmd;

  @Option(names = "--keep", description = "Keep the demo directory when stopping.")
  boolean keep;

  @Option(names = "--timeout", defaultValue = "120s", description = "How long to wait for the cluster to form.")
  String timeout;

  @Spec
  CommandSpec spec;

  public static CommandLine commandLine() {
    return new CommandLine(new DemoCommand());
  }

  static Path home() {
    String home = System.getProperty("keel.home");
    if (home != null) {
      return Path.of(home).toAbsolutePath();
    }
    // container-agent/target/keel.jar -> the checkout
    try {
      Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return jar.getParent().getParent().getParent();
    } catch (Exception e) {
      return Path.of("").toAbsolutePath();
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String gate = gateCmd;
    if (gate.equals("auto")) {
      gate = Executables.jupyterInstalled() ? "jupyter" : "builtin";
      out.println(gate.equals("jupyter") ? "keel demo: the gated process is Jupyter (jupyter-notebook is installed)"
          : "keel demo: the gated process is the built-in page (jupyter-notebook is not installed;"
              + " apt-get install jupyter-notebook for the real thing)");
    }
    DemoLayout layout = DemoLayout.of(dir, nodes, baseIp, home(), gate);
    DemoNodes processes = new DemoNodes(layout);
    if (!Files.isRegularFile(layout.entrypoint())) {
      err.println("keel demo: " + layout.entrypoint() + " is missing: run keel demo from a Keel checkout");
      err.flush();
      return 1;
    }
    for (DemoNode n : DemoLayout.load(layout.dir()).orElse(layout).nodes()) {
      if (processes.state(n) != DemoNodes.State.STOPPED) {
        err.println("keel demo: a demo already runs in " + layout.dir() + " (" + n.name()
            + " is up): stop it with 'keel demo stop --dir " + dir + "' or choose another --dir");
        err.flush();
        return 1;
      }
    }
    layout.save();
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stoppedElsewhere = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (!stoppedElsewhere.get()) {
        stopAll(layout, processes, out);
        if (!keep) {
          deleteTree(layout.dir());
        }
      }
      stopped.countDown();
    }, "keel-demo-stop"));
    out.printf("keel demo: starting %d nodes on %s.. in %s (logs: <node>/node.log)%n", nodes,
        layout.nodes().get(0).ip(), layout.dir());
    out.flush();
    for (DemoNode n : layout.nodes()) {
      processes.start(n);
    }
    long deadline = System.nanoTime() + keel.server.GoDuration.parse(timeout).toNanos();
    DemoStatus status;
    while (true) {
      status = DemoStatus.collect(layout, processes);
      boolean formed = layout.nodes().stream().allMatch(n -> hostsListAll(layout, n))
          && status.gateHolder().isPresent();
      if (formed) {
        break;
      }
      if (System.nanoTime() - deadline > 0) {
        err.println("keel demo: the cluster did not form within " + timeout + "; see the nodes' node.log");
        err.flush();
        break;
      }
      Thread.sleep(200); // polling the demo's own files for a person at a terminal
    }
    out.print(status.table());
    out.println("Try: curl " + layout.nodes().get(0).proxyUrl() + "   (any node's proxy reaches the gated process)");
    out.println("     keel demo status | kill node2 | pause node3 | resume node3 | restart node2   (another terminal)");
    out.println("Ctrl-C stops every node" + (keep ? "." : " and removes " + layout.dir() + "."));
    out.flush();
    // Until Ctrl-C, or until 'keel demo stop' from another terminal stopped every node (it removes
    // every pid file, which nothing else does; it keeps the directory, and so does this).
    while (!stopped.await(500, TimeUnit.MILLISECONDS)) {
      if (layout.nodes().stream().noneMatch(n -> Files.exists(n.pidFile()))) {
        stoppedElsewhere.set(true);
        out.println("keel demo: every node was stopped ('keel demo stop'); " + layout.dir() + " stays");
        out.flush();
        return 0;
      }
    }
    return 0;
  }

  /** Whether {@code node}'s hosts file has a line for every node of the demo. */
  static boolean hostsListAll(DemoLayout layout, DemoNode node) {
    try {
      Map<String, String> listed = HostsTable.members(node.hostsFile());
      return layout.nodes().stream().allMatch(n -> n.ip().equals(listed.get(n.name())));
    } catch (IOException e) {
      return false;
    }
  }

  static void stopAll(DemoLayout layout, DemoNodes processes, PrintWriter out) {
    out.println("keel demo: stopping every node");
    out.flush();
    List<DemoNode> reversed = new java.util.ArrayList<>(layout.nodes());
    java.util.Collections.reverse(reversed);
    reversed.parallelStream().forEach(n -> processes.stop(n, Duration.ofSeconds(15)));
    layout.nodes().forEach(n -> n.pidFile().toFile().delete());
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort on the way out
    }
  }

  /** The demo running in {@code --dir}, or a clear error. */
  static DemoLayout running(Path dir) throws IOException {
    return DemoLayout.load(dir).orElseThrow(() -> new IllegalArgumentException(
        "no demo in " + dir.toAbsolutePath() + ": start one with 'keel demo' (or give --dir)"));
  }

  /** A subcommand acting on the demo in {@code --dir}; wrong input is one line on stderr and exit 1. */
  abstract static class DemoAction implements Callable<Integer> {
    @ParentCommand
    DemoCommand parent;

    @Spec
    CommandSpec spec;

    /** Does the work; returns what to print. */
    abstract String act(DemoLayout layout) throws Exception;

    @Override
    public Integer call() throws Exception {
      try {
        String done = act(running(parent.dir));
        spec.commandLine().getOut().print(done.endsWith("\n") ? done : done + "\n");
        spec.commandLine().getOut().flush();
        return 0;
      } catch (IllegalArgumentException | IllegalStateException e) {
        spec.commandLine().getErr().println("keel demo: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return 1;
      }
    }
  }

  /** A subcommand on one node of the demo. */
  abstract static class NodeAction extends DemoAction {
    @Parameters(index = "0", paramLabel = "NODE", description = "node1, node2, ...")
    String node;

    abstract String act(DemoNodes processes, DemoNode node) throws Exception;

    @Override
    String act(DemoLayout layout) throws Exception {
      return act(new DemoNodes(layout), layout.node(node));
    }
  }

  @Command(name = "kill", description = "kill -9 a node's processes (server, agent, gated process).")
  static final class Kill extends NodeAction {
    @Override
    String act(DemoNodes processes, DemoNode n) {
      if (processes.state(n) == DemoNodes.State.STOPPED) {
        throw new IllegalStateException(n.name() + " is not running");
      }
      processes.kill(n);
      return n.name() + " killed (kill -9)";
    }
  }

  @Command(name = "pause", description = "SIGSTOP a node's whole process tree (a frozen container).")
  static final class Pause extends NodeAction {
    @Override
    String act(DemoNodes processes, DemoNode n) {
      processes.pause(n);
      return n.name() + " paused (SIGSTOP)";
    }
  }

  @Command(name = "resume", description = "SIGCONT a paused node.")
  static final class Resume extends NodeAction {
    @Override
    String act(DemoNodes processes, DemoNode n) {
      processes.resume(n);
      return n.name() + " resumed (SIGCONT)";
    }
  }

  @Command(name = "restart", description = "Start a node again on its data (stopping it first if it runs).")
  static final class Restart extends NodeAction {
    @Override
    String act(DemoNodes processes, DemoNode n) throws IOException {
      processes.stop(n, Duration.ofSeconds(15));
      long pid = processes.start(n);
      return n.name() + " restarted (pid " + pid + ")";
    }
  }

  @Command(name = "status", description = "Nodes, Raft leader, where the gated process runs, proxies.")
  static final class Status extends DemoAction {
    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    String act(DemoLayout layout) {
      DemoStatus status = DemoStatus.collect(layout, new DemoNodes(layout));
      return json ? status.json() : status.table();
    }
  }

  @Command(name = "stop", description = "Stop every node of a demo started elsewhere (keeps the directory).")
  static final class Stop extends DemoAction {
    @Override
    String act(DemoLayout layout) {
      stopAll(layout, new DemoNodes(layout), spec.commandLine().getOut());
      return "keel demo: every node stopped";
    }
  }
}
