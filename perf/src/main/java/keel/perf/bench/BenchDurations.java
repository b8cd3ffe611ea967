package keel.perf.bench;

import java.time.Duration;
import keel.server.GoDuration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as etcd's flags write them, Go's {@code time.ParseDuration} ({@code 500ms}, {@code 30s},
 * {@code 1m30s}; {@link GoDuration}), for {@code --duration} and {@code --dial-timeout}.
 */
final class BenchDurations implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String text) {
    return parse(text);
  }

  static Duration parse(String text) {
    Duration d;
    try {
      d = GoDuration.parse(text);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage() + ": use e.g. 500ms, 30s, 2m or 1m30s");
    }
    if (d.isNegative() || d.isZero()) {
      throw new TypeConversionException("duration \"" + text + "\" must be above zero");
    }
    return d;
  }

  /** {@code 30s}, {@code 1.5s}, {@code 250ms}: for reports. */
  static String format(Duration d) {
    long millis = d.toMillis();
    if (millis < 1000) {
      return millis + "ms";
    }
    return millis % 1000 == 0 ? (millis / 1000) + "s" : String.format(java.util.Locale.ROOT, "%.3fs", millis / 1000.0);
  }
}
