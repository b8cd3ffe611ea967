package keel.server.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** Exposition text as lines, and the value of one sample picked by its exact name and labels. */
final class ExpositionLines {
  private ExpositionLines() {}

  static List<String> of(PrometheusRegistry registry) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines(out);
  }

  static List<String> of(ServerMetrics metrics) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      metrics.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines(out);
  }

  private static List<String> lines(ByteArrayOutputStream out) {
    return List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
  }

  /** The value of the sample written exactly as {@code series} (name plus labels as printed). */
  static Optional<Double> value(List<String> lines, String series) {
    return lines.stream()
        .filter(line -> line.startsWith(series + " "))
        .map(line -> Double.parseDouble(line.substring(series.length() + 1)))
        .findFirst();
  }
}
