package keel.agent.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pause the gate must survive: a holder node (its agent JVM and its gated process) is frozen
 * with SIGSTOP past its fence deadline and continued. The stale gated process must be gone within
 * 200 ms of the agent running again (typically 10-50 ms; the bound leaves room for a loaded
 * 2-core machine), before it can answer anyone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PausedHolderTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** From arming to the fence deadline: time enough to freeze the holder before it, even on a busy machine. */
  private static final Duration FENCE = Duration.ofSeconds(3);

  @TempDir
  Path dir;

  @Test
  void aHolderContinuedAfterItsFenceDeadlineKillsItsProcessWithin200Ms() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process holder = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx64m",
        "-cp", System.getProperty("java.class.path"), PausedHolderChild.class.getName(),
        dir.resolve("gated.log").toString(), Long.toString(FENCE.toMillis()))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    List<ProcessHandle> gatedTree = new ArrayList<>();
    try {
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> readLines(holder, lines), "holder-reader");
      reader.setDaemon(true);
      reader.start();

      String[] armed = poll(lines, Duration.ofSeconds(20)).split(" ");
      assertThat(armed[0]).isEqualTo("armed");
      long armedAt = Long.parseLong(armed[1]);
      ProcessHandle root = ProcessHandle.of(Long.parseLong(armed[2])).orElseThrow();
      await().atMost(WAIT).until(() -> root.descendants().count() == 1);
      gatedTree.add(root);
      root.descendants().forEach(gatedTree::add);

      // Freeze the node: the agent and its gated process (as `docker pause` would).
      List<Long> all = new ArrayList<>(List.of(holder.pid()));
      gatedTree.forEach(p -> all.add(p.pid()));
      signal("STOP", all);
      await().atMost(WAIT).until(() -> all.stream().allMatch(pid -> state(pid).equals(Optional.of('T'))));
      assertThat(System.nanoTime() - armedAt).as("frozen before the deadline").isLessThan(FENCE.toNanos());
      assertThat(lines).as("nothing happened before the freeze").isEmpty();

      // The deliberate freeze, until half a second past the deadline.
      long thaw = armedAt + FENCE.toNanos() + TimeUnit.MILLISECONDS.toNanos(500);
      Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(thaw - System.nanoTime())));
      // The worst order: the stale process runs again first, then its agent.
      signal("CONT", gatedTree.stream().map(ProcessHandle::pid).toList());
      long continued = System.nanoTime();
      signal("CONT", List.of(holder.pid()));

      String[] killed = poll(lines, WAIT).split(" ");
      assertThat(killed[0]).isEqualTo("killed");
      Duration took = Duration.ofNanos(Long.parseLong(killed[1]) - continued);
      assertThat(took).as("from SIGCONT of the agent to its stale process gone").isLessThan(Duration.ofMillis(200));
      assertThat(gatedTree).allMatch(ProcessTree::isGone);
      assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      gatedTree.forEach(ProcessHandle::destroyForcibly);
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String poll(BlockingQueue<String> lines, Duration timeout) throws InterruptedException {
    String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(line).as("a line from the holder").isNotNull();
    return line;
  }

  private static void readLines(Process child, BlockingQueue<String> lines) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
      }
    } catch (IOException e) {
      // the child is gone
    }
  }

  private static void signal(String signal, List<Long> pids) throws Exception {
    List<String> argv = new ArrayList<>(List.of("kill", "-" + signal));
    pids.forEach(p -> argv.add(Long.toString(p)));
    Process kill = new ProcessBuilder(argv).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("%s", argv).isZero();
  }

  private static Optional<Character> state(long pid) {
    return ProcessTree.stat(pid).map(ProcessTree.Stat::state);
  }
}
