package keel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's {@code etcdctl} against fixed endpoints, with the v3 API ({@code ETCDCTL_API=3},
 * {@link #of}) or the v2 one ({@code ETCDCTL_API=2}, {@link #v2}). Output goes through files, not
 * pipes, so a chatty command can never block on a full pipe.
 */
public final class Etcdctl {
  public static final String DEFAULT_BINARY = "/usr/bin/etcdctl";
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final String binary;
  private final String api;
  private final String endpoints;
  private final List<String> globalFlags;
  private final Duration timeout;

  private Etcdctl(String binary, String api, String endpoints, List<String> globalFlags, Duration timeout) {
    this.binary = binary;
    this.api = api;
    this.endpoints = endpoints;
    this.globalFlags = List.copyOf(globalFlags);
    this.timeout = timeout;
  }

  /** etcdctl v3 against {@code endpoints} (comma-separated host:port or URLs), 30 s (scaled) per run. */
  public static Etcdctl of(String endpoints) {
    return new Etcdctl(DEFAULT_BINARY, "3", endpoints, List.of(), DEFAULT_TIMEOUT);
  }

  /**
   * etcdctl v2 ({@code ETCDCTL_API=2}) against {@code endpoints}, comma-separated URLs ({@code
   * http://127.0.0.1:2379}: v2 etcdctl refuses a bare host:port). Before each command it reads
   * {@code /v2/members} from them and then talks to one member of that list, chosen at random;
   * {@link #noSync()} keeps it on the given endpoints. Its global flags ({@code -o json}) go first in
   * a run's arguments: {@code run("-o", "json", "get", "/k")}.
   */
  public static Etcdctl v2(String endpoints) {
    return new Etcdctl(DEFAULT_BINARY, "2", endpoints, List.of(), DEFAULT_TIMEOUT);
  }

  /**
   * The same with {@code --no-sync} (v2 only): no {@code /v2/members} first, every request goes to
   * the given endpoints, so a read follows the writes that one member applied.
   */
  public Etcdctl noSync() {
    if (!api.equals("2")) {
      throw new IllegalStateException("--no-sync is a v2 flag");
    }
    List<String> flags = new ArrayList<>(globalFlags);
    flags.add("--no-sync");
    return new Etcdctl(binary, api, endpoints, flags, timeout);
  }

  /**
   * The same with etcdctl's global {@code flags} before every command's arguments (e.g. {@code
   * --cacert=...}, {@code --dial-timeout=1s}).
   */
  public Etcdctl withFlags(String... flags) {
    List<String> all = new ArrayList<>(globalFlags);
    all.addAll(List.of(flags));
    return new Etcdctl(binary, api, endpoints, all, timeout);
  }

  /** The same, killed after {@code timeout} (scaled) per run. */
  public Etcdctl withTimeout(Duration timeout) {
    return new Etcdctl(binary, api, endpoints, globalFlags, timeout);
  }

  public String endpoints() {
    return endpoints;
  }

  /** {@code etcdctl --endpoints=... args...} with empty stdin. */
  public Result run(String... args) {
    return run(List.of(args), new byte[0]);
  }

  /** {@code etcdctl --endpoints=... args...} with {@code stdin} as its standard input. */
  public Result run(List<String> args, byte[] stdin) {
    List<String> command = command(args);
    Path dir = null;
    try {
      dir = Files.createTempDirectory("etcdctl-");
      Path out = dir.resolve("stdout");
      Path err = dir.resolve("stderr");
      Process process = start(command, dir, stdin);
      boolean exited;
      try {
        exited = process.waitFor(Deadlines.scaled(timeout).toMillis(), TimeUnit.MILLISECONDS);
      } finally {
        ProcessTrees.kill9(process.toHandle());
      }
      if (!exited) {
        throw new IllegalStateException(
            "etcdctl did not finish in " + Deadlines.scaled(timeout) + ": " + command);
      }
      return new Result(
          args,
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("running " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    } finally {
      TempDirs.deleteQuietly(dir);
    }
  }

  private List<String> command(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(binary);
    command.add("--endpoints=" + endpoints);
    command.addAll(globalFlags);
    command.addAll(args);
    return command;
  }

  /** Starts etcdctl with output to {@code dir}/stdout and {@code dir}/stderr. */
  private Process start(List<String> command, Path dir, byte[] stdin) throws IOException {
    Path in = Files.write(dir.resolve("stdin"), stdin);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(in.toFile())
            .redirectOutput(dir.resolve("stdout").toFile())
            .redirectError(dir.resolve("stderr").toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("ETCDCTL_"));
    builder.environment().put("ETCDCTL_API", api);
    Process process = builder.start();
    ProcessTrees.register(process);
    return process;
  }

  /**
   * Starts a long-running etcdctl (a watch) in the background; read what it printed so far with
   * {@link Background#stdout()}, end it with {@link Background#stop()}.
   */
  public Background background(String... args) {
    List<String> command = command(List.of(args));
    try {
      Path dir = Files.createTempDirectory("etcdctl-");
      return new Background(List.of(args), start(command, dir, new byte[0]), dir);
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + command, e);
    }
  }

  /**
   * Starts an interactive etcdctl ({@code watch -i}) in the background, writes {@code lines} to its
   * standard input and keeps that open (etcdctl ends at end of input).
   */
  public Background interactive(List<String> args, String lines) {
    List<String> command = command(args);
    try {
      Path dir = Files.createTempDirectory("etcdctl-");
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .redirectOutput(dir.resolve("stdout").toFile())
          .redirectError(dir.resolve("stderr").toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("ETCDCTL_"));
      builder.environment().put("ETCDCTL_API", api);
      Process process = builder.start();
      ProcessTrees.register(process);
      process.getOutputStream().write(lines.getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
      return new Background(args, process, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + command, e);
    }
  }

  /** A background etcdctl; close (or stop) kills it and removes its files. */
  public static final class Background implements AutoCloseable {
    private final List<String> args;
    private final Process process;
    private final Path dir;

    private Background(List<String> args, Process process, Path dir) {
      this.args = args;
      this.process = process;
      this.dir = dir;
    }

    /** Standard output so far. */
    public String stdout() {
      return read("stdout");
    }

    public String stderr() {
      return read("stderr");
    }

    /** Waits (scaled deadline) until standard output contains {@code text}. */
    public void awaitStdout(String text, Duration within) {
      Deadlines.await("etcdctl " + args + " printing " + text, within).until(() -> {
        if (stdout().contains(text)) {
          return true;
        }
        if (!process.isAlive() && !stdout().contains(text)) {
          throw new IllegalStateException("etcdctl " + args + " exited with " + process.exitValue()
              + " before printing " + text + "; stdout: " + stdout() + " stderr: " + stderr());
        }
        return false;
      });
    }

    /**
     * Kills it (a watch never ends by itself) and returns what it printed; the exit code is
     * etcdctl's own if it had already exited, else the kill's.
     */
    public Result stop() {
      ProcessTrees.kill9(process.toHandle());
      try {
        process.waitFor(Deadlines.scaled(DEFAULT_TIMEOUT).toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Result result = new Result(args, process.isAlive() ? -1 : process.exitValue(), stdout(), stderr());
      TempDirs.deleteQuietly(dir);
      return result;
    }

    /**
     * Ends it the way a person would, with SIGTERM (etcdctl elect resigns, lock unlocks, on the way
     * out), and returns what it printed.
     */
    public Result terminate() {
      ProcessTrees.stop(process.toHandle(), DEFAULT_TIMEOUT);
      return stop();
    }

    @Override
    public void close() {
      if (Files.exists(dir)) {
        stop();
      }
    }

    private String read(String name) {
      try {
        return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * What one etcdctl run printed. {@code args} excludes the binary, {@code --endpoints} and the
   * global flags given by {@link #noSync()}.
   */
  public record Result(List<String> args, int exitCode, String stdout, String stderr) {
    public Result {
      args = List.copyOf(args);
    }

    /** This result with ids, terms, timestamps and endpoints replaced by {@link EtcdctlMask}. */
    public Result masked() {
      return new Result(args, exitCode, EtcdctlMask.mask(stdout), EtcdctlMask.mask(stderr));
    }

    public boolean succeeded() {
      return exitCode == 0;
    }
  }
}
