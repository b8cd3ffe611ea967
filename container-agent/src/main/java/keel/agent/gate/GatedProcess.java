package keel.agent.gate;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process that runs on the leader only (Jupyter, or the built-in demo service), supervised.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #start()}: the process is wanted. It is started at once and restarted when it exits
 *       while still wanted, after a backoff of 0.5 s doubling to 30 s (reset after a run of 60 s).
 *       A command that cannot start, or exits within a second three times in a row, is logged as an
 *       ERROR naming the command and its last output lines, and retried with the same backoff: the
 *       agent keeps serving everything else.</li>
 *   <li>{@link #stop()}, {@link #stop(long)}, {@link #kill()}: the process is not wanted any more.
 *       They return only when every process of its tree is gone, so the caller may then let
 *       another node start its own (at most one gated process at a time). A {@link #start()}
 *       during a stop on another thread waits for it to end.</li>
 * </ul>
 *
 * <p>The tree: the command runs in a session of its own ({@code setsid}, when installed), so its
 * tree is the root, the root's descendants and every other process of that session (which also
 * finds children that double-forked away from the root). It is snapshotted before any signal,
 * because a child whose parent died is re-parented and no longer a descendant. stdout and stderr
 * are appended to the log file, after a marker line per start.
 *
 * <p>Threads: one supervisor thread per {@link #start()} ({@code keel-<node>-gated}, daemon).
 * Lock order: {@code lock} only, never held while waiting for a process to die.
 */
public final class GatedProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatedProcess.class);
  private static final int TAIL_LINES = 20;
  private static final int TAIL_BYTES = 16 * 1024;
  /** Starts the line written to the log file before each run. */
  private static final String MARKER = "--- keel ";
  private static final Optional<String> SETSID = findSetsid();

  private final String node;
  private final List<String> command;
  private final Map<String, String> environment;
  private final Path logFile;
  private final Duration stopGrace;
  private final RestartBackoff.Policy restartPolicy;

  private final Object lock = new Object();
  private boolean wanted; // guarded by lock
  private long generation; // guarded by lock: which start() the supervisor serves
  private Process process; // guarded by lock: the running root, null between runs
  private Thread supervisor; // guarded by lock
  private int terminating; // guarded by lock: stop() and kill() calls under way
  private volatile String lastFailureReport;
  private volatile Runnable onKeepsFailing = () -> { };

  /**
   * @param node this node's name, for logs and thread names
   * @param command the argv to run (the agent passes {@code /bin/sh -c <cmd>} for a shell string)
   * @param environment added to (and overriding) the agent's own environment
   * @param logFile where stdout and stderr are appended
   * @param stopGrace how long {@link #stop()} waits after SIGTERM before SIGKILL
   */
  public GatedProcess(String node, List<String> command, Map<String, String> environment,
      Path logFile, Duration stopGrace) {
    this(node, command, environment, logFile, stopGrace, RestartBackoff.STANDARD);
  }

  GatedProcess(String node, List<String> command, Map<String, String> environment, Path logFile,
      Duration stopGrace, RestartBackoff.Policy restartPolicy) {
    if (command.isEmpty()) {
      throw new IllegalArgumentException(node + ": the gated process needs a command, got an empty argv");
    }
    if (stopGrace.isNegative()) {
      throw new IllegalArgumentException(node + ": stopGrace must not be negative, got " + stopGrace);
    }
    this.node = node;
    this.command = List.copyOf(command);
    this.environment = Map.copyOf(environment);
    this.logFile = logFile;
    this.stopGrace = stopGrace;
    this.restartPolicy = restartPolicy;
  }

  /**
   * Runs {@code action} (on the supervisor thread) each time the process is reported as failing
   * over and over (the ERROR naming the command): the gate hands leadership to another node then.
   */
  public void onKeepsFailing(Runnable action) {
    this.onKeepsFailing = action;
  }

  /** Wants the process: starts it (and keeps restarting it) unless it is wanted already. */
  public void start() {
    synchronized (lock) {
      if (wanted) {
        return;
      }
      // A stop or kill still under way on another thread: the old tree goes before a new one starts.
      while (terminating > 0) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(node + ": interrupted while the previous gated process was stopping", e);
        }
      }
      if (wanted) {
        return;
      }
      wanted = true;
      long gen = ++generation;
      Thread t = new Thread(() -> supervise(gen), "keel-" + node + "-gated");
      t.setDaemon(true);
      supervisor = t;
      t.start();
    }
  }

  /** Not wanted any more: SIGTERM to the whole tree, SIGKILL after the stop grace; returns when all are gone. */
  public void stop() {
    stop(System.nanoTime() + stopGrace.toNanos());
  }

  /**
   * As {@link #stop()}, but SIGKILL no later than {@code hardDeadlineNanos} (a
   * {@link System#nanoTime()} value; at once when it is already past).
   */
  public void stop(long hardDeadlineNanos) {
    long graceEnd = System.nanoTime() + stopGrace.toNanos();
    long killAt = graceEnd - hardDeadlineNanos < 0 ? graceEnd : hardDeadlineNanos;
    Process p = unwant();
    try {
      if (p != null) {
        LOG.info("{}: stopping the gated process (pid {}), SIGKILL in {} ms at the latest", node,
            p.pid(), Math.max(0, TimeUnit.NANOSECONDS.toMillis(killAt - System.nanoTime())));
        terminate(p.toHandle(), killAt);
        awaitReaped(p);
        LOG.info("{}: the gated process (pid {}) and its children are gone", node, p.pid());
      }
    } finally {
      terminated();
    }
  }

  /** Not wanted any more: SIGKILL to the whole tree now; returns when all are gone. */
  public void kill() {
    Process p = unwant();
    try {
      if (p != null) {
        terminate(p.toHandle(), System.nanoTime());
        awaitReaped(p);
        LOG.warn("{}: the gated process (pid {}) and its children were killed", node, p.pid());
      }
    } finally {
      terminated();
    }
  }

  /** True while the root process of the current run is alive. */
  public boolean isRunning() {
    synchronized (lock) {
      return process != null && !ProcessTree.isGone(process.toHandle());
    }
  }

  /** The pid of the current run's root process, if one runs. */
  public Optional<Long> pid() {
    synchronized (lock) {
      return isRunning() ? Optional.of(process.pid()) : Optional.empty();
    }
  }

  /** {@link #stop()}, then waits for the supervisor thread to end. */
  @Override
  public void close() {
    stop();
    Thread t;
    synchronized (lock) {
      t = supervisor;
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(stopGrace.toMillis() + 10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** True while a stop() or kill() is under way, for tests. */
  boolean isStopping() {
    synchronized (lock) {
      return terminating > 0;
    }
  }

  /** The last ERROR about a command that keeps failing, for tests; null until there is one. */
  String lastFailureReport() {
    return lastFailureReport;
  }

  /** Marks the process unwanted and a termination under way; pair with {@link #terminated()}. */
  private Process unwant() {
    synchronized (lock) {
      wanted = false;
      terminating++;
      lock.notifyAll(); // a supervisor waiting out a backoff gives up at once
      return process;
    }
  }

  private void terminated() {
    synchronized (lock) {
      terminating--;
      lock.notifyAll(); // a start() waiting for the old tree to go
    }
  }

  private boolean stillWanted(long gen) {
    synchronized (lock) {
      return wantedBy(gen);
    }
  }

  private boolean wantedBy(long gen) {
    return wanted && generation == gen;
  }

  private void supervise(long gen) {
    RestartBackoff backoff = new RestartBackoff(restartPolicy);
    int quickExits = 0;
    while (true) {
      Process p = null;
      String launchError = null;
      synchronized (lock) {
        // Launching under the lock: once stop() has taken it, no new run can begin.
        if (!wantedBy(gen)) {
          return;
        }
        try {
          p = launch();
          process = p;
        } catch (IOException | RuntimeException e) {
          launchError = e.toString();
        }
      }
      long startedAt = System.nanoTime();
      int exitCode = -1;
      if (p != null) {
        LOG.info("{}: started the gated process {} (pid {}), output in {}", node, command, p.pid(), logFile);
        ProcessTree.warmUp(p.toHandle(), SETSID.isPresent());
        exitCode = awaitExit(p);
        // Children it left behind must not outlive it: the next run (or the next leader) comes
        // next. When it is not wanted any more, stop() or kill() is taking care of them.
        List<ProcessHandle> leftovers = stillWanted(gen)
            ? ProcessTree.snapshot(p.toHandle(), SETSID.isPresent()) : List.of();
        if (!leftovers.isEmpty()) {
          LOG.warn("{}: the gated process (pid {}) left {} processes behind; stopping them", node,
              p.pid(), leftovers.size());
          terminate(p.toHandle(), System.nanoTime() + stopGrace.toNanos());
        }
      }
      Duration ran = Duration.ofNanos(System.nanoTime() - startedAt);
      synchronized (lock) {
        if (process == p) {
          process = null;
        }
        if (!wantedBy(gen)) {
          return; // stopped on purpose; stop() logs it
        }
      }
      Duration delay = backoff.afterRun(ran);
      quickExits = ran.compareTo(restartPolicy.quickExit()) < 0 ? quickExits + 1 : 0;
      String outcome = p == null ? "could not be started (" + launchError + ")"
          : "exited with code " + exitCode + " after " + ran.toMillis() + " ms";
      if (quickExits > 0 && quickExits % restartPolicy.quickExitsBeforeError() == 0) {
        String report = String.format("%s: the gated process %s keeps failing: it %s, %d times in a"
                + " row within %d ms of starting. Check that the command exists and runs on this node;"
                + " retrying in %d ms. Its last output (%s):%n%s", node, command, outcome, quickExits,
            restartPolicy.quickExit().toMillis(), delay.toMillis(), logFile, tail(logFile));
        lastFailureReport = report;
        LOG.error(report);
        try {
          onKeepsFailing.run();
        } catch (RuntimeException e) {
          LOG.error("{}: the action on a failing gated process failed", node, e);
        }
      } else {
        LOG.warn("{}: the gated process {} {}; restarting in {} ms", node, command, outcome, delay.toMillis());
      }
      if (!awaitBackoff(gen, delay)) {
        return;
      }
    }
  }

  private Process launch() throws IOException {
    List<String> argv = new ArrayList<>();
    SETSID.ifPresent(setsid -> argv.addAll(List.of(setsid, "--wait")));
    argv.addAll(command);
    Path parent = logFile.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(logFile, String.format(MARKER + "%s: starting %s at %s ---%n", node, command,
            Instant.now()), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().putAll(environment);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    File devNull = new File("/dev/null");
    if (devNull.exists()) {
      pb.redirectInput(devNull);
    }
    return pb.start();
  }

  private static int awaitExit(Process p) {
    while (true) {
      try {
        return p.waitFor();
      } catch (InterruptedException e) {
        // The supervisor is only ever ended by the process exiting; keep waiting.
      }
    }
  }

  /**
   * The root is dead once {@link #terminate} returns (a zombie counts as dead); waiting for the JDK
   * to reap it as well makes {@link Process#isAlive()} agree, which takes a moment at most.
   */
  private static void awaitReaped(Process p) {
    try {
      p.waitFor(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits out the restart delay; false when the process stopped being wanted meanwhile. */
  private boolean awaitBackoff(long gen, Duration delay) {
    long until = System.nanoTime() + delay.toNanos();
    synchronized (lock) {
      while (wantedBy(gen)) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return false;
    }
  }

  private void terminate(ProcessHandle root, long killAtNanos) {
    ProcessTree.terminate(node, root, SETSID.isPresent(), killAtNanos);
  }

  /** The last lines of the log file (the end of the last run's output). */
  static String tail(Path file) {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      int n = (int) Math.min(length, TAIL_BYTES);
      byte[] bytes = new byte[n];
      f.seek(length - n);
      f.readFully(bytes);
      List<String> lines = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\r?\n"));
      int from = 0;
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).startsWith(MARKER)) {
          from = i + 1; // only the last run's output
          break;
        }
      }
      from = Math.max(from, lines.size() - TAIL_LINES);
      List<String> last = lines.subList(from, lines.size());
      return last.isEmpty() || last.equals(List.of("")) ? "(no output)"
          : String.join(System.lineSeparator(), last);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static Optional<String> findSetsid() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
      Path p = Path.of(dir, "setsid");
      if (Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    LOG.warn("setsid (util-linux) not found: gated processes run in the agent's session, and a child"
        + " that detaches from its parent would survive a stop. Install util-linux.");
    return Optional.empty();
  }
}
