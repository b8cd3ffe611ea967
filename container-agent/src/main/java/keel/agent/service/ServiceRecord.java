package keel.agent.service;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The demo service's record for the safety checker: one line per event, appended.
 *
 * <pre>
 * start &lt;nanos&gt; &lt;pid&gt; &lt;node&gt;   listening
 * req &lt;nanos&gt; &lt;node&gt; &lt;path&gt;     about to write the answer to a request
 * stop &lt;nanos&gt; &lt;node&gt;           stopped (SIGTERM or close); no req line follows
 * </pre>
 *
 * <p>{@code nanos} is {@link System#nanoTime()}, which is CLOCK_MONOTONIC on Linux and so comparable
 * across the processes of one machine (the nodes of {@code keel demo}). Each line is one
 * {@code write} to a file opened with O_APPEND: it reaches the kernel before the answer does (so a
 * SIGKILL right after loses nothing), and lines of several processes sharing one file never
 * interleave.
 */
final class ServiceRecord implements AutoCloseable {
  private final Optional<FileOutputStream> out;
  private boolean stopped; // guarded by this

  private ServiceRecord(Optional<FileOutputStream> out) {
    this.out = out;
  }

  /** Records nothing (no --record given). */
  static ServiceRecord none() {
    return new ServiceRecord(Optional.empty());
  }

  /** Appends to {@code file}, creating it and its directory when missing. */
  static ServiceRecord appendTo(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return new ServiceRecord(Optional.of(new FileOutputStream(file.toFile(), true)));
  }

  synchronized void start(String node) {
    write("start " + System.nanoTime() + " " + ProcessHandle.current().pid() + " " + node);
  }

  /**
   * Records a request answered at {@code nanos}, unless the service stopped: false then, and the
   * caller must not answer (so no answer is ever recorded after the stop line).
   */
  synchronized boolean request(long nanos, String node, String path) {
    if (stopped) {
      return false;
    }
    write("req " + nanos + " " + node + " " + path);
    return true;
  }

  /** Stops recording requests (from now on {@link #request} says false). */
  synchronized void stopping() {
    stopped = true;
  }

  /** Writes the stop line, once. */
  synchronized void stop(String node) {
    stopped = true;
    write("stop " + System.nanoTime() + " " + node);
  }

  private void write(String line) {
    if (out.isEmpty()) {
      return;
    }
    try {
      out.get().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the demo service's record: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    stopped = true;
    if (out.isPresent()) {
      try {
        out.get().close();
      } catch (IOException e) {
        // nothing was buffered: every line went out with its own write
      }
    }
  }
}
