package keel.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.torture.check.Verdict;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The checkers can fail: each test-only switch that breaks one guarantee in every member
 * ({@code -Dkeel.test.break=...}) must make the checker of that guarantee report a violation,
 * with the offending excerpt of the history.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrokenGuaranteesIT {
  @ParameterizedTest(name = "{0} is caught by {1}")
  @CsvSource({
      "stale-reads,      linearizability, pause",
      "early-ack,        acknowledged-writes, ''",
      "drop-watch-event, watch, ''"})
  void theRightCheckerReportsTheViolation(String broken, String checker, String faults) throws Exception {
    long seed = Long.getLong("keel.torture.seed", System.currentTimeMillis());
    Path out = Path.of("target", "torture", broken + "-" + seed);
    TortureSettings settings = TortureSettings.defaults(out, Duration.ofSeconds(12), seed)
        .withoutCoordination()
        .withBreaks(List.of(broken))
        .withFaults(faults.isEmpty() ? List.of() : List.of(faults.split(" ")));
    TortureReport report = new TortureRun(settings).run();

    List<Verdict> caught = report.failures().stream().filter(v -> v.checker().equals(checker)).toList();
    assertThat(caught).as("seed %d: %s must fail %s; report %s:%n%s", seed, broken, checker, out.resolve("report.md"),
        report.render()).isNotEmpty();
    assertThat(caught.get(0).failed()).as(caught.get(0).render()).isTrue();
    assertThat(caught.get(0).excerpt()).as("the offending excerpt of the history").isNotEmpty();
    System.out.println(broken + " caught:\n" + caught.get(0).render());
  }
}
