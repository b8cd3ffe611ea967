package keel.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import keel.torture.nemesis.Nemesis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short form of the torture run, on every change: a 3-member cluster of processes, each in a
 * network namespace of its own (root, as CI runs), under every fault kind for 60 s (longer when a
 * kind has not come round by then), every checker judging the recorded histories. The seed is
 * printed (and in the report under target/torture/); rerun one with {@code ./keel torture
 * --duration 60s --seed N}.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class TortureShortIT {
  @Test
  void everyCheckerPassesUnderEveryFault() throws Exception {
    long seed = Long.getLong("keel.torture.seed", System.currentTimeMillis());
    System.out.println("TortureShortIT: seed " + seed);
    Path out = Path.of("target", "torture", "short-" + seed);
    // Short holds so that every kind comes round once even when a killed member takes 40 s to serve again.
    Nemesis.Settings brisk = new Nemesis.Settings(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(120), Duration.ofSeconds(20));
    TortureReport report = new TortureRun(TortureSettings.defaults(out, Duration.ofSeconds(60), seed)
        .withFaults(Faults.names()).withNemesis(brisk)).run();
    System.out.println(report.render());

    assertThat(report.passed()).as("seed %d, report %s:%n%s", seed, out.resolve("report.md"), report.failureSummary())
        .isTrue();
    assertThat(report.triedKinds()).as("every fault kind came round").containsAll(Faults.names());
    assertThat(report.calls()).filteredOn(c -> c.isOk()).hasSizeGreaterThan(500);
  }
}
