package keel.testing.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.testing.TempDirs;

/**
 * Runs one host command ({@code ip}, {@code nft}) to completion with a timeout. Output goes through
 * temporary files, not pipes, so a chatty command never blocks on a full pipe. A failure throws
 * with the command line, its exit status and its stderr: the three things needed to see why.
 */
final class HostCommand {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private HostCommand() {}

  /** What a finished command printed. */
  record Output(int exitCode, String stdout, String stderr) {
    boolean succeeded() {
      return exitCode == 0;
    }
  }

  /** Runs {@code command}; throws unless it exits 0. Returns its stdout. */
  static String run(List<String> command) {
    return run(command, "");
  }

  /** Runs {@code command} with {@code stdin}; throws unless it exits 0. Returns its stdout. */
  static String run(List<String> command, String stdin) {
    Output out = attempt(command, stdin);
    if (!out.succeeded()) {
      throw new IllegalStateException("command failed (exit " + out.exitCode() + "): "
          + String.join(" ", command) + (stdin.isEmpty() ? "" : " <<< " + stdin.strip())
          + "\nstderr: " + out.stderr().strip()
          + "\n(network fault injection needs root, iproute2 and nftables: see .ci/install-test-deps)");
    }
    return out.stdout();
  }

  /** Runs {@code command} and reports how it ended, whatever its exit status. */
  static Output attempt(List<String> command) {
    return attempt(command, "");
  }

  private static Output attempt(List<String> command, String stdin) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("keel-faults-cmd-");
      Path in = dir.resolve("stdin");
      Path out = dir.resolve("stdout");
      Path err = dir.resolve("stderr");
      Files.writeString(in, stdin, StandardCharsets.UTF_8);
      Process process = new ProcessBuilder(command)
          .redirectInput(in.toFile())
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .start();
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new IllegalStateException("command did not finish in " + TIMEOUT + ": " + String.join(" ", command));
      }
      return new Output(process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("running " + String.join(" ", command)
          + " (is it installed? see .ci/install-test-deps)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
    } finally {
      TempDirs.deleteQuietly(dir);
    }
  }
}
