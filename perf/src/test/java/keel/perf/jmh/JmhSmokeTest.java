package keel.perf.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Every JMH benchmark of {@code keel.perf.jmh} runs: once, in this JVM, for a tenth of a second,
 * with the small parameters. It catches a benchmark broken by a change to the code it measures
 * (a setup that throws, an apply that answers an error) in the default test suite; it says
 * nothing about speed, and asserts none.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JmhSmokeTest {
  /** JMH's guard against two measuring runs at once; a smoke run measures nothing, so it may share. */
  private static final String IGNORE_LOCK = "jmh.ignoreLock";

  @Test
  void everyBenchmarkProducesAResult() throws Exception {
    Set<String> expected = benchmarksOfThisPackage();
    // the annotation processor's list is what JMH runs from: without it nothing would run, silently
    assertThat(expected).as("benchmarks in META-INF/BenchmarkList").isNotEmpty();

    Options options = new OptionsBuilder()
        .include("^keel\\.perf\\.jmh\\.")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .param("keys", "1000")
        .param("watchers", "1")
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = runIgnoringTheLock(options);

    Set<String> produced = new TreeSet<>();
    for (RunResult result : results) {
      assertThat(result.getPrimaryResult().getSampleCount())
          .as("samples of %s", result.getParams().getBenchmark()).isPositive();
      assertThat(result.getPrimaryResult().getScore())
          .as("score of %s", result.getParams().getBenchmark()).isFinite();
      produced.add(result.getParams().getBenchmark());
    }
    assertThat(produced).isEqualTo(expected);
  }

  private static Set<String> benchmarksOfThisPackage() {
    Set<String> names = new TreeSet<>();
    PrintStream silent = new PrintStream(OutputStream.nullOutputStream());
    for (BenchmarkListEntry entry : BenchmarkList.defaultList()
        .getAll(OutputFormatFactory.createFormatInstance(silent, VerboseMode.SILENT), List.of())) {
      if (entry.getUsername().startsWith("keel.perf.jmh.")) {
        names.add(entry.getUsername());
      }
    }
    return names;
  }

  private static Collection<RunResult> runIgnoringTheLock(Options options) throws Exception {
    String before = System.getProperty(IGNORE_LOCK);
    System.setProperty(IGNORE_LOCK, "true");
    try {
      return new Runner(options).run();
    } finally {
      if (before == null) {
        System.clearProperty(IGNORE_LOCK);
      } else {
        System.setProperty(IGNORE_LOCK, before);
      }
    }
  }
}
