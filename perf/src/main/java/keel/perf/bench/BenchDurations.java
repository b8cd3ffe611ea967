package keel.perf.bench;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as etcd's flags write them ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or
 * Go's combinations such as {@code 1m30s}), for {@code --duration} and {@code --dial-timeout}.
 */
final class BenchDurations implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

  @Override
  public Duration convert(String text) {
    return parse(text);
  }

  static Duration parse(String text) {
    String t = text.trim().toLowerCase();
    Matcher m = PART.matcher(t);
    Duration sum = Duration.ZERO;
    int at = 0;
    while (at < t.length() && m.find(at) && m.start() == at) {
      long n = Long.parseLong(m.group(1));
      sum = sum.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      });
      at = m.end();
    }
    if (t.isEmpty() || at != t.length()) {
      throw new TypeConversionException("invalid duration '" + text + "': use e.g. 500ms, 30s, 2m or 1m30s");
    }
    return sum;
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
