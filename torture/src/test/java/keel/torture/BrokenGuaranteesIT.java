package keel.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import keel.torture.check.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The checkers can fail: the test-only switches that each break one guarantee in every member
 * ({@code -Dkeel.test.break=...}) must make the checker of that guarantee report a violation,
 * with the offending excerpt of the history. One run with all of them on (a run costs a
 * cluster's start): each switch leaves its own trace, which only its checker looks for.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrokenGuaranteesIT {
  /** Each switch and the checker that must catch it. */
  private static final Map<String, String> CAUGHT_BY = Map.of(
      "stale-reads", "linearizability", // a paused member answers linearizable reads with old values
      "early-ack", "acknowledged-writes",
      "drop-watch-event", "watch");

  @Test
  void everyBrokenGuaranteeIsCaughtByItsChecker() throws Exception {
    long seed = Long.getLong("keel.torture.seed", System.currentTimeMillis());
    Path out = Path.of("target", "torture", "broken-" + seed);
    TortureSettings settings = TortureSettings.defaults(out, Duration.ofSeconds(15), seed)
        .withoutCoordination()
        .withBreaks(List.copyOf(CAUGHT_BY.keySet()))
        .withFaults(List.of("pause"));
    TortureReport report = new TortureRun(settings).run();

    CAUGHT_BY.forEach((broken, checker) -> {
      List<Verdict> caught = report.failures().stream().filter(v -> v.checker().equals(checker)).toList();
      assertThat(caught).as("seed %d: %s must fail %s; report %s:%n%s", seed, broken, checker, out.resolve("report.md"),
          report.render()).isNotEmpty();
      assertThat(caught.get(0).excerpt()).as("%s: the offending excerpt of the history", checker).isNotEmpty();
      System.out.println(broken + " caught:\n" + caught.get(0).render());
    });
  }
}
