package keel.agent.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FenceWatchdogTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** The child's deadline: time enough to SIGSTOP it before, even on a busy machine. */
  private static final Duration PAUSED_FENCE = Duration.ofMillis(2500);

  @Test
  void runsTheActionOnceWhenTheDeadlinePasses() {
    AtomicLong deadline = new AtomicLong(System.nanoTime() + ms(200));
    BlockingQueue<Long> fired = new LinkedBlockingQueue<>();
    try (FenceWatchdog watchdog = new FenceWatchdog("n1", deadline::get, () -> fired.add(System.nanoTime()))) {
      long at = poll(fired);
      assertThat(at - deadline.get()).isNotNegative();
      watchdog.poke(); // the same expired deadline: nothing more
      await().during(Duration.ofMillis(300)).atMost(WAIT).until(fired::isEmpty);
    }
  }

  @Test
  void aDeadlineMovedForwardPostponesTheActionAndALaterOneReArmsIt() {
    AtomicLong deadline = new AtomicLong(System.nanoTime() + ms(300));
    BlockingQueue<Long> fired = new LinkedBlockingQueue<>();
    try (FenceWatchdog watchdog = new FenceWatchdog("n1", deadline::get, () -> fired.add(System.nanoTime()))) {
      long moved = System.nanoTime() + ms(800);
      deadline.set(moved); // leadership confirmed
      watchdog.poke();
      assertThat(poll(fired) - moved).as("fired after the moved deadline").isNotNegative();

      long rearmed = System.nanoTime() + ms(100);
      deadline.set(rearmed);
      watchdog.poke();
      assertThat(poll(fired) - rearmed).isNotNegative();
    }
  }

  @Test
  void notArmedNeverFires() {
    AtomicLong deadline = new AtomicLong(FenceWatchdog.NOT_ARMED);
    AtomicInteger fired = new AtomicInteger();
    try (FenceWatchdog watchdog = new FenceWatchdog("n1", deadline::get, fired::incrementAndGet)) {
      watchdog.poke();
      await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> fired.get() == 0);
      deadline.set(System.nanoTime() + ms(50));
      watchdog.poke();
      await().atMost(WAIT).until(() -> fired.get() == 1);
    }
  }

  @Test
  void survivesAFailingActionAndStopsItsThreadOnClose() {
    AtomicLong deadline = new AtomicLong(System.nanoTime());
    AtomicInteger calls = new AtomicInteger();
    FenceWatchdog watchdog = new FenceWatchdog("fence-close-test", deadline::get, () -> {
      calls.incrementAndGet();
      throw new IllegalStateException("kill failed");
    });
    try {
      await().atMost(WAIT).until(() -> calls.get() == 1);
      deadline.set(System.nanoTime() + ms(50));
      watchdog.poke();
      await().atMost(WAIT).until(() -> calls.get() == 2);
    } finally {
      watchdog.close();
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("keel-fence-close-test-fence"));
  }

  /**
   * The pause the fence exists for: a child JVM arms a deadline 2.5 s ahead and is SIGSTOPped until
   * past it. Measured on CLOCK_MONOTONIC (System.nanoTime, shared by the processes of a machine),
   * from just before the SIGCONT to the child's action: under 100 ms.
   */
  @Test
  void afterSigstopAndSigcontTheActionRunsAtOnce() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx64m",
        "-cp", System.getProperty("java.class.path"), FenceWatchdogChild.class.getName(),
        Long.toString(PAUSED_FENCE.toMillis()))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    try {
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> readLines(child, lines), "fence-child-reader");
      reader.setDaemon(true);
      reader.start();

      String armed = lines.poll(20, TimeUnit.SECONDS);
      assertThat(armed).startsWith("armed ");
      long armedAt = Long.parseLong(armed.substring("armed ".length()));
      signal("STOP", child.pid());
      await().atMost(WAIT).until(() -> state(child.pid()).equals(Optional.of('T')));
      assertThat(System.nanoTime() - armedAt).as("stopped before the deadline").isLessThan(PAUSED_FENCE.toNanos());
      assertThat(lines).as("nothing happened before the stop").isEmpty();

      // The deliberate pause: the child stays stopped until half a second past its deadline.
      long resume = armedAt + PAUSED_FENCE.toNanos() + ms(500);
      Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(resume - System.nanoTime())));
      long continued = System.nanoTime();
      signal("CONT", child.pid());

      String expired = lines.poll(10, TimeUnit.SECONDS);
      assertThat(expired).startsWith("expired ");
      long expiredAt = Long.parseLong(expired.substring("expired ".length()));
      assertThat(expiredAt - armedAt).as("not before the deadline").isGreaterThanOrEqualTo(PAUSED_FENCE.toNanos());
      assertThat(expiredAt - continued).as("after the SIGCONT").isPositive();
      assertThat(Duration.ofNanos(expiredAt - continued)).as("from SIGCONT to the action")
          .isLessThan(Duration.ofMillis(100));
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
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

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %s", signal, pid).isZero();
  }

  private static Optional<Character> state(long pid) {
    return ProcessTree.stat(pid).map(ProcessTree.Stat::state);
  }

  private static long poll(BlockingQueue<Long> queue) {
    try {
      Long v = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(v).as("the fence action ran").isNotNull();
      return v;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
