package keel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One cluster member run as an OS process: a command prefix ({@code /usr/bin/etcd}, or {@code java
 * -cp ... keel.server.cli.KeelMain server}) followed by etcd's flags. Output is appended to a log
 * file; {@link #restart()} runs the same command again on the same data dir.
 */
public final class MemberProcess implements AutoCloseable {
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final MemberAddress address;
  private final List<String> command;
  private final Map<String, String> environment;
  private final Path dataDir;
  private final Path logFile;
  private Process process;
  private boolean paused;

  MemberProcess(
      MemberAddress address,
      List<String> commandPrefix,
      List<String> flags,
      Map<String, String> environment,
      Path dataDir,
      Path logFile) {
    this.address = address;
    List<String> full = new ArrayList<>(commandPrefix);
    full.addAll(flags);
    this.command = List.copyOf(full);
    this.environment = Map.copyOf(environment);
    this.dataDir = dataDir;
    this.logFile = logFile;
  }

  public String name() {
    return address.name();
  }

  public MemberAddress address() {
    return address;
  }

  /** The full command line: prefix plus flags. */
  public List<String> command() {
    return command;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path logFile() {
    return logFile;
  }

  /** Starts the process; it must not be running. */
  public synchronized void start() {
    start(command);
  }

  /**
   * Starts the process with {@code extraFlags} after its flags, this once ({@code etcd
   * --force-new-cluster}); it must not be running. A later {@link #start} or {@link #restart} is
   * without them.
   */
  public synchronized void startWith(String... extraFlags) {
    List<String> full = new ArrayList<>(command);
    full.addAll(List.of(extraFlags));
    start(full);
  }

  private void start(List<String> command) {
    if (isAlive()) {
      throw new IllegalStateException(name() + " is already running");
    }
    try {
      Files.createDirectories(logFile.getParent());
      Files.writeString(
          logFile,
          "=== start: " + String.join(" ", command) + System.lineSeparator(),
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      builder.environment().keySet().removeIf(k -> k.startsWith("ETCD_"));
      builder.environment().putAll(environment);
      process = builder.start();
      paused = false;
      ProcessTrees.register(process);
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + name() + ": " + command, e);
    }
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The exit code of the process, which must have been started and have exited. */
  public synchronized int exitCode() {
    if (process == null || process.isAlive()) {
      throw new IllegalStateException(name() + " has not exited");
    }
    return process.exitValue();
  }

  /** The pid of the running process. */
  public synchronized long pid() {
    return running().pid();
  }

  /** kill -9 of the whole process tree; returns when it is gone. The data dir stays. */
  public synchronized void kill9() {
    ProcessTrees.kill9(running().toHandle());
    paused = false;
  }

  /** SIGTERM, then SIGKILL after a (scaled) grace period; returns when it is gone. No-op if not running. */
  public synchronized void stop() {
    if (!isAlive()) {
      return;
    }
    if (paused) {
      ProcessTrees.resume(process.toHandle());
    }
    ProcessTrees.stop(process.toHandle(), STOP_GRACE);
    paused = false;
  }

  /** SIGSTOP to the process tree: the member freezes with its sockets open. */
  public synchronized void pause() {
    ProcessTrees.pause(running().toHandle());
    paused = true;
  }

  /** SIGCONT to the process tree. */
  public synchronized void resume() {
    ProcessTrees.resume(running().toHandle());
    paused = false;
  }

  /**
   * Starts the same command again on the same data dir (stopping it first if it runs). etcd ignores
   * {@code --initial-cluster-state new} when the data dir already holds a member, so the flags need
   * no change.
   */
  public synchronized void restart() {
    stop();
    start();
  }

  /** The last {@code maxChars} characters of the log, for failure messages. */
  public String logTail(int maxChars) {
    try {
      if (!Files.exists(logFile)) {
        return "";
      }
      String log = Files.readString(logFile, StandardCharsets.UTF_8);
      return log.substring(Math.max(0, log.length() - maxChars));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Stops the process (kill -9 if it ignores SIGTERM). The data dir is the cluster's to delete. */
  @Override
  public synchronized void close() {
    stop();
  }

  private Process running() {
    if (!isAlive()) {
      throw new IllegalStateException(name() + " is not running");
    }
    return process;
  }

  @Override
  public String toString() {
    return name() + "@" + address.clientEndpoint();
  }
}
