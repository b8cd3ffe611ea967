package keel.perf.bench;

import java.time.Duration;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Every workload's flags for how much load: clients, run length, rate. */
final class LoadOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--clients", defaultValue = "1",
      description = "Concurrent requesters, each with one request in flight (default ${DEFAULT-VALUE}).")
  int clients;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Length length;

  @Option(names = "--rate", defaultValue = "0",
      description = "Most requests per second over all clients; 0: as fast as answers come (default ${DEFAULT-VALUE}).")
  double rate;

  /** {@code --total} or {@code --duration}: one of the two. */
  static final class Length {
    @Option(names = "--total", required = true,
        description = "Requests to send (watch-latency: puts); default " + RunLength.DEFAULT_TOTAL + " when --duration is not given.")
    long total;

    @Option(names = "--duration", required = true, converter = BenchDurations.class, paramLabel = "DURATION",
        description = "Send for this long instead, e.g. 30s, 2m.")
    Duration duration;
  }

  Load load() {
    if (clients < 1) {
      throw invalid("--clients must be at least 1, was " + clients);
    }
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw invalid("--rate must be 0 (unlimited) or a positive number of requests per second, was " + rate);
    }
    return new Load(clients, runLength(), rate);
  }

  private RunLength runLength() {
    if (length == null) {
      return RunLength.ofTotal(RunLength.DEFAULT_TOTAL);
    }
    if (length.duration != null) {
      if (length.duration.isZero()) {
        throw invalid("--duration must be more than 0");
      }
      return RunLength.ofDuration(length.duration);
    }
    if (length.total < 1) {
      throw invalid("--total must be at least 1, was " + length.total);
    }
    return RunLength.ofTotal(length.total);
  }

  private ParameterException invalid(String message) {
    return new ParameterException(command.commandLine(), message);
  }
}
