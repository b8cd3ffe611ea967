package keel.testing.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.testing.Deadlines;
import keel.testing.ProcessTrees;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running JVM under {@link FakeClocks} sees its wall clock step forward and back within about a
 * second, while its sleeps (monotonic) go on at their true pace, also after a step back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FakeClocksIT {
  private static final long HOUR = TimeUnit.HOURS.toMillis(1);

  @Test
  void aRunningJvmSeesItsWallClockStepAndItsSleepsKeepTheirPace(@TempDir Path dir) throws Exception {
    FakeClocks clocks = FakeClocks.create(dir);
    List<String> command = new ArrayList<>(clocks.commandPrefix("p1"));
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), WallClockPrinter.class.getName()));
    Process printer = new ProcessBuilder(command).redirectErrorStream(true).start();
    ProcessTrees.register(printer);
    try (BufferedReader out = new BufferedReader(new InputStreamReader(printer.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(nextOffset(out)).as("offset before any step").isBetween(-2_000L, 2_000L);

      clocks.step("p1", Duration.ofHours(1));
      awaitOffset(out, HOUR, "an hour ahead");
      clocks.step("p1", Duration.ofHours(-1));
      awaitOffset(out, -HOUR, "an hour behind");
      clocks.reset("p1");
      awaitOffset(out, 0, "right again");

      // 10 more prints, 100 ms apart: the sleeps did not stretch by the step back
      long start = System.nanoTime();
      for (int i = 0; i < 10; i++) {
        nextOffset(out);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Deadlines.scaled(Duration.ofSeconds(3)));
    } finally {
      ProcessTrees.kill9(printer.toHandle());
    }
  }

  /** The printer's next wall clock minus ours, in ms. */
  private static long nextOffset(BufferedReader out) throws Exception {
    String line = out.readLine();
    assertThat(line).as("the printer's next line").isNotNull();
    return Long.parseLong(line.trim()) - System.currentTimeMillis();
  }

  private static void awaitOffset(BufferedReader out, long expected, String what) throws Exception {
    long deadline = System.nanoTime() + Deadlines.scaled(Duration.ofSeconds(5)).toNanos();
    long offset;
    do {
      offset = nextOffset(out);
    } while (Math.abs(offset - expected) > 2_000 && System.nanoTime() < deadline);
    assertThat(offset).as("printer's clock %s", what).isBetween(expected - 2_000, expected + 2_000);
  }
}
