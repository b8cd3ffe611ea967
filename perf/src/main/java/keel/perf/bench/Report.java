package keel.perf.bench;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import keel.server.api.http.GoQuote;

/**
 * Renders {@link Results}: a text report for people, or ({@code --json}) one JSON object for
 * scripts, with the same figures. Latencies are in milliseconds, with microsecond resolution.
 *
 * <pre>
 * keel bench put: 2000 requests, 10 clients over 2 connections to http://127.0.0.1:2379 (server 3.4.0)
 *   count          2000
 *   errors         0
 *   duration       0.853 s
 *   throughput     2344.7 req/s
 *   latency (ms)   min 0.612  p50 3.912  p90 5.801  p99 9.120  p99.9 12.030  max 14.200  mean 4.101
 *   generator CPU  41% of 2 processors
 * </pre>
 */
final class Report {
  private Report() {}

  static String text(Results r) {
    StringBuilder out = new StringBuilder();
    out.append("keel bench ").append(r.workload()).append(": ").append(r.runLength()).append(", ")
        .append(r.clients()).append(r.clients() == 1 ? " client" : " clients").append(" over ")
        .append(r.conns()).append(r.conns() == 1 ? " connection" : " connections").append(" to ")
        .append(r.endpoints().stream().map(URI::toString).collect(Collectors.joining(",")))
        .append(" (server ").append(r.serverVersion()).append(")");
    if (!r.settings().isEmpty()) {
      out.append("; ").append(r.settings());
    }
    out.append('\n');
    line(out, "count", Long.toString(r.count()));
    line(out, "errors", Long.toString(r.errorCount()));
    r.errors().entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> out.append(String.format(Locale.ROOT, "    %8d  %s%n", e.getValue(), e.getKey())));
    line(out, "duration", fmt("%.3f s", r.seconds()));
    line(out, "throughput", fmt("%.1f req/s", r.throughput()));
    line(out, "latency (ms)", latency(r.latency()));
    if (r.operations().size() > 1) {
      r.operations().forEach((name, op) ->
          line(out, "  " + name, "count " + op.count() + "  " + latency(op.latency())));
    }
    line(out, "generator CPU", fmt("%.0f%% of %d processors", 100 * r.cpu().share(), r.cpu().processors()));
    if (r.cpu().mayBeBottleneck()) {
      out.append(warning(r.cpu())).append('\n');
    }
    return out.toString();
  }

  /** The line printed when the generator was close to using the whole machine. */
  static String warning(CpuMeter.Share cpu) {
    return fmt("WARNING: the load generator itself used %.0f%% of the CPU (%d processors): it, not the server,"
        + " may be the bottleneck; run it on a machine of its own, or with fewer --clients (--watchers)",
        100 * cpu.share(), cpu.processors());
  }

  private static void line(StringBuilder out, String label, String value) {
    out.append(String.format(Locale.ROOT, "  %-14s %s%n", label, value));
  }

  private static String latency(Latency l) {
    return fmt("min %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f",
        l.min(), l.p50(), l.p90(), l.p99(), l.p999(), l.max(), l.mean());
  }

  static String json(Results r) {
    StringBuilder out = new StringBuilder("{");
    field(out, "workload", string(r.workload()));
    field(out, "settings", string(r.settings()));
    field(out, "runLength", string(r.runLength()));
    field(out, "endpoints", r.endpoints().stream().map(u -> string(u.toString()))
        .collect(Collectors.joining(",", "[", "]")));
    field(out, "serverVersion", string(r.serverVersion()));
    field(out, "conns", Integer.toString(r.conns()));
    field(out, "clients", Integer.toString(r.clients()));
    field(out, "count", Long.toString(r.count()));
    field(out, "errors", Long.toString(r.errorCount()));
    field(out, "errorsByMessage", r.errors().entrySet().stream()
        .map(e -> string(e.getKey()) + ":" + e.getValue())
        .collect(Collectors.joining(",", "{", "}")));
    field(out, "durationSeconds", number(r.seconds()));
    field(out, "requestsPerSecond", number(r.throughput()));
    field(out, "latencyMs", latencyJson(r.latency()));
    field(out, "operations", r.operations().entrySet().stream()
        .map(e -> string(e.getKey()) + ":{\"count\":" + e.getValue().count()
            + ",\"latencyMs\":" + latencyJson(e.getValue().latency()) + "}")
        .collect(Collectors.joining(",", "{", "}")));
    CpuMeter.Share cpu = r.cpu();
    field(out, "generatorCpu", "{\"share\":" + number(cpu.share()) + ",\"cpuSeconds\":" + number(cpu.cpuNanos() / 1e9)
        + ",\"processors\":" + cpu.processors() + ",\"mayBeBottleneck\":" + cpu.mayBeBottleneck() + "}");
    out.setLength(out.length() - 1); // the last comma
    return out.append('}').toString();
  }

  private static String latencyJson(Latency l) {
    return "{\"min\":" + number(l.min()) + ",\"p50\":" + number(l.p50()) + ",\"p90\":" + number(l.p90())
        + ",\"p99\":" + number(l.p99()) + ",\"p99.9\":" + number(l.p999()) + ",\"max\":" + number(l.max())
        + ",\"mean\":" + number(l.mean()) + "}";
  }

  private static void field(StringBuilder out, String name, String json) {
    out.append(string(name)).append(':').append(json).append(',');
  }

  /** A JSON number: finite, no exponent, at most 4 decimals (NaN and infinities have no JSON form: 0). */
  private static String number(double d) {
    if (!Double.isFinite(d)) {
      return "0";
    }
    return new java.math.BigDecimal(d).setScale(4, java.math.RoundingMode.HALF_UP).stripTrailingZeros()
        .toPlainString();
  }

  /** A JSON string literal, escaped as Go's encoding/json escapes it (etcd's tools read the same). */
  static String string(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2);
    GoQuote.appendJsonString(out, s);
    return out.toString();
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
