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
 * Runs Debian's {@code etcdctl} with the v3 API ({@code ETCDCTL_API=3}) against fixed endpoints.
 * Output goes through files, not pipes, so a chatty command can never block on a full pipe.
 */
public final class Etcdctl {
  public static final String DEFAULT_BINARY = "/usr/bin/etcdctl";
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final String binary;
  private final String endpoints;
  private final Duration timeout;

  private Etcdctl(String binary, String endpoints, Duration timeout) {
    this.binary = binary;
    this.endpoints = endpoints;
    this.timeout = timeout;
  }

  /** etcdctl against {@code endpoints} (comma-separated host:port or URLs), 30 s (scaled) per run. */
  public static Etcdctl of(String endpoints) {
    return new Etcdctl(DEFAULT_BINARY, endpoints, DEFAULT_TIMEOUT);
  }

  /** The same, killed after {@code timeout} (scaled) per run. */
  public Etcdctl withTimeout(Duration timeout) {
    return new Etcdctl(binary, endpoints, timeout);
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
    List<String> command = new ArrayList<>();
    command.add(binary);
    command.add("--endpoints=" + endpoints);
    command.addAll(args);
    Path dir = null;
    try {
      dir = Files.createTempDirectory("etcdctl-");
      Path in = Files.write(dir.resolve("stdin"), stdin);
      Path out = dir.resolve("stdout");
      Path err = dir.resolve("stderr");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(in.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("ETCDCTL_"));
      builder.environment().put("ETCDCTL_API", "3");
      Process process = builder.start();
      ProcessTrees.register(process);
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

  /** What one etcdctl run printed. {@code args} excludes the binary and {@code --endpoints}. */
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
