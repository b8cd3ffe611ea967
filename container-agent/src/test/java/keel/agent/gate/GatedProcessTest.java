package keel.agent.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatedProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** A shell whose whole tree ignores SIGTERM (an ignored signal stays ignored across fork and exec). */
  private static final String IGNORES_TERM = "trap '' TERM; sleep 1000 & exec sleep 1000";

  /** A shell that writes its pid to {@code $CHILD_PID_FILE}, then sleeps: the child a test follows. */
  private static final String MARKED_CHILD = "sh -c 'echo $$ > \"$CHILD_PID_FILE\"; exec sleep 1000'";

  @TempDir
  Path dir;

  /** Every process a test saw, killed after it whatever happened. */
  private final List<ProcessHandle> seen = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    seen.forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void stopTerminatesTheWholeTree() throws Exception {
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"),
        Duration.ofSeconds(20))) {
      gated.start();
      List<ProcessHandle> tree = awaitTree(gated, 3);
      assertThat(gated.isRunning()).isTrue();

      long began = System.nanoTime();
      gated.stop();

      assertThat(tree).allMatch(ProcessTree::isGone);
      assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
      assertThat(gated.isRunning()).isFalse();
      assertThat(gated.pid()).isEmpty();
    }
  }

  @Test
  void stopSendsSigkillWhenTheGraceRunsOut() throws Exception {
    Duration grace = Duration.ofMillis(500);
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", IGNORES_TERM), grace)) {
      gated.start();
      List<ProcessHandle> tree = awaitTree(gated, 2);

      long began = System.nanoTime();
      gated.stop();
      Duration took = Duration.ofNanos(System.nanoTime() - began);

      assertThat(tree).allMatch(ProcessTree::isGone);
      assertThat(took).isGreaterThanOrEqualTo(grace).isLessThan(grace.plusSeconds(5));
    }
  }

  @Test
  void stopWithAPastHardDeadlineKillsAtOnce() throws Exception {
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", IGNORES_TERM), Duration.ofSeconds(30))) {
      gated.start();
      List<ProcessHandle> tree = awaitTree(gated, 2);

      long began = System.nanoTime();
      gated.stop(System.nanoTime() - 1);

      assertThat(tree).allMatch(ProcessTree::isGone);
      assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(3));
    }
  }

  @Test
  void stopEscalatesAtTheHardDeadlineWhenItComesBeforeTheGrace() throws Exception {
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", IGNORES_TERM), Duration.ofSeconds(30))) {
      gated.start();
      List<ProcessHandle> tree = awaitTree(gated, 2);

      long began = System.nanoTime();
      gated.stop(began + TimeUnit.MILLISECONDS.toNanos(300));
      Duration took = Duration.ofNanos(System.nanoTime() - began);

      assertThat(tree).allMatch(ProcessTree::isGone);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void killEndsTheTreeAtOnceAndItIsNotRestarted() throws Exception {
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", IGNORES_TERM), Duration.ofSeconds(30))) {
      gated.start();
      List<ProcessHandle> tree = awaitTree(gated, 2);

      long began = System.nanoTime();
      gated.kill();

      assertThat(tree).allMatch(ProcessTree::isGone);
      assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(3));
      await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> !gated.isRunning());
    }
  }

  @Test
  void stopAlsoEndsChildrenThatDetachedFromTheTree() throws Exception {
    assumeSetsid();
    // The subshell backgrounds the inner shell and exits: the orphan is re-parented to PID 1.
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", "(" + MARKED_CHILD + " &); exec sleep 1000"),
        Duration.ofSeconds(5))) {
      ProcessHandle orphan = startWithMarkedChild(gated);
      long root = gated.pid().orElseThrow();
      await().atMost(WAIT).until(() -> orphan.parent().map(ProcessHandle::pid).orElse(-1L) != root
          && ProcessHandle.of(root).map(r -> r.descendants().noneMatch(d -> d.pid() == orphan.pid())).orElse(true));

      gated.stop();

      assertThat(ProcessTree.isGone(orphan)).as("orphan %s gone", orphan.pid()).isTrue();
    }
  }

  /**
   * A child in a session of its own (Jupyter starts its kernels so; a node's gated process is one
   * to the node) is found only below the root: a kill that must be quick, which ends the root
   * first, still ends it (`keel demo kill` left a killed node's Jupyter serving).
   */
  @Test
  void killAlsoEndsAChildInASessionOfItsOwn() throws Exception {
    assumeSetsid();
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", "setsid " + MARKED_CHILD + " & exec sleep 1000"),
        Duration.ofSeconds(30))) {
      ProcessHandle child = startWithMarkedChild(gated);
      long root = gated.pid().orElseThrow();
      assertThat(child.parent().map(ProcessHandle::pid)).as("a child of the root").contains(root);

      gated.kill();

      assertThat(ProcessTree.isGone(child)).as("child %s in its own session gone", child.pid()).isTrue();
    }
  }

  private static void assumeSetsid() {
    assumeThat(Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid")))
        .as("setsid (util-linux) is installed").isTrue();
  }

  /** Starts {@code gated}, whose command runs {@link #MARKED_CHILD}, and returns that child once it runs. */
  private ProcessHandle startWithMarkedChild(GatedProcess gated) throws Exception {
    gated.start();
    ProcessHandle child = ProcessHandle.of(awaitPid(dir.resolve("child.pid"))).orElseThrow();
    seen.add(child);
    return child;
  }

  @Test
  void restartsAnExitedProcessWithADoublingBackoffAndReportsACrashLoop() throws Exception {
    Path runs = dir.resolve("runs");
    RestartBackoff.Policy fast = new RestartBackoff.Policy(Duration.ofMillis(100), Duration.ofMillis(400),
        Duration.ofSeconds(60), Duration.ofSeconds(1), 3);
    String script = "date +%s%N >> " + runs + "; echo 'boom: no config at /etc/demo'; exit 3";
    try (GatedProcess gated = new GatedProcess("n1", List.of("/bin/sh", "-c", script), Map.of(),
        dir.resolve("gated.log"), Duration.ofSeconds(5), fast)) {
      gated.start();
      await().atMost(WAIT).until(() -> lines(runs).size() >= 5);
      gated.stop();

      List<Long> starts = lines(runs).stream().map(Long::parseLong).toList();
      List<Long> gapsMillis = new ArrayList<>();
      for (int i = 1; i < 5; i++) {
        gapsMillis.add(TimeUnit.NANOSECONDS.toMillis(starts.get(i) - starts.get(i - 1)));
      }
      // Each restart waits its delay after the exit: 100, 200, 400, 400 ms at least.
      assertThat(gapsMillis.get(0)).isGreaterThanOrEqualTo(100);
      assertThat(gapsMillis.get(1)).isGreaterThanOrEqualTo(200);
      assertThat(gapsMillis.get(2)).isGreaterThanOrEqualTo(400);
      assertThat(gapsMillis.get(3)).isGreaterThanOrEqualTo(400).isLessThan(3000);
      assertThat(gated.lastFailureReport())
          .contains("n1: the gated process", script, "exited with code 3", "3 times in a row",
              "boom: no config at /etc/demo");
    }
  }

  @Test
  void aCommandThatDoesNotExistIsReportedAndRetried() throws Exception {
    Path log = dir.resolve("gated.log");
    RestartBackoff.Policy fast = new RestartBackoff.Policy(Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofSeconds(60), Duration.ofSeconds(1), 2);
    try (GatedProcess gated = new GatedProcess("n1", List.of("/nonexistent/keel-no-such-jupyter", "--port=1"),
        Map.of(), log, Duration.ofSeconds(5), fast)) {
      gated.start();
      await().atMost(WAIT).until(() -> gated.lastFailureReport() != null);
      assertThat(gated.lastFailureReport()).contains("/nonexistent/keel-no-such-jupyter", "2 times in a row");
      // ...and it keeps trying: more starts are logged after the report.
      long markers = countMarkers(log);
      await().atMost(WAIT).until(() -> countMarkers(log) > markers);
    }
  }

  @Test
  void runsWithTheGivenEnvironmentAndAppendsItsOutputToTheLog() throws Exception {
    Path log = dir.resolve("logs/gated.log");
    try (GatedProcess gated = new GatedProcess("n1",
        List.of("/bin/sh", "-c", "echo \"token=$KEEL_TEST_TOKEN\"; echo oops >&2; exec sleep 1000"),
        Map.of("KEEL_TEST_TOKEN", "42"), log, Duration.ofSeconds(5))) {
      gated.start();
      seen.add(ProcessHandle.of(awaitPid(gated)).orElseThrow());
      await().atMost(WAIT).until(() -> Files.exists(log) && Files.readString(log).contains("oops"));
      assertThat(Files.readString(log)).contains("--- keel n1: starting", "token=42");
    }
  }

  @Test
  void canBeStartedAgainAfterAStop() throws Exception {
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", "exec sleep 1000"), Duration.ofSeconds(5))) {
      gated.start();
      long first = awaitPid(gated);
      gated.start(); // already wanted: no second process
      assertThat(gated.pid()).contains(first);
      gated.stop();
      assertThat(gated.isRunning()).isFalse();

      gated.start();
      long second = awaitPid(gated);
      assertThat(second).isNotEqualTo(first);
      assertThat(ProcessHandle.of(first).map(ProcessTree::isGone).orElse(true)).isTrue();
    }
  }

  @Test
  void aStartDuringAStopOnAnotherThreadWaitsForTheOldTreeToGo() throws Exception {
    try (GatedProcess gated = gated(List.of("/bin/sh", "-c", IGNORES_TERM), Duration.ofMillis(700))) {
      gated.start();
      List<ProcessHandle> old = awaitTree(gated, 2);
      Thread stopper = new Thread(gated::stop, "test-stopper");
      stopper.start();
      try {
        await().atMost(WAIT).until(gated::isStopping);

        gated.start();

        assertThat(old).allMatch(ProcessTree::isGone);
        long fresh = awaitPid(gated);
        assertThat(old).noneMatch(p -> p.pid() == fresh);
      } finally {
        stopper.join(WAIT.toMillis());
      }
    }
  }

  @Test
  void stopAndKillBeforeStartDoNothing() {
    GatedProcess gated = gated(List.of("/bin/true"), Duration.ofSeconds(1));
    gated.stop();
    gated.kill();
    gated.close();
    assertThat(gated.isRunning()).isFalse();
  }

  private GatedProcess gated(List<String> command, Duration grace) {
    return new GatedProcess("n1", command, Map.of("CHILD_PID_FILE", dir.resolve("child.pid").toString()),
        dir.resolve("gated.log"), grace);
  }

  /** Waits for the root and its children ({@code size} processes in all), remembers them for cleanup. */
  private List<ProcessHandle> awaitTree(GatedProcess gated, int size) {
    long root = awaitPid(gated);
    ProcessHandle handle = ProcessHandle.of(root).orElseThrow();
    await().atMost(WAIT).until(() -> 1 + handle.descendants().count() >= size);
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(handle);
    handle.descendants().forEach(tree::add);
    seen.addAll(tree);
    return tree;
  }

  private long awaitPid(GatedProcess gated) {
    await().atMost(WAIT).until(() -> gated.pid().isPresent());
    long pid = gated.pid().orElseThrow();
    ProcessHandle.of(pid).ifPresent(seen::add);
    return pid;
  }

  private static long awaitPid(Path file) {
    await().atMost(WAIT).until(() -> Files.exists(file) && !Files.readString(file).isBlank());
    try {
      return Long.parseLong(Files.readString(file).trim());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList() : List.of();
  }

  private static long countMarkers(Path log) throws IOException {
    return lines(log).stream().filter(l -> l.startsWith("--- keel ")).count();
  }
}
