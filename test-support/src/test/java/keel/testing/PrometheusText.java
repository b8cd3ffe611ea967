package keel.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, the format etcd's /metrics
 * serves, so a test can tell a page a Prometheus server would reject or misread. No maintained
 * Java parser of this format exists (the Prometheus Java client only writes it). Beyond the
 * grammar it insists on what scrapers assume:
 *
 * <ul>
 *   <li>every sample belongs to a family declared by {@code # TYPE} before it, and a family's
 *       lines are contiguous; HELP and TYPE at most once each per family;
 *   <li>a sample's name is the family's ({@code _bucket}, {@code _sum}, {@code _count} for
 *       histograms; the quantiles, {@code _sum}, {@code _count} for summaries);
 *   <li>no series (name and label set) twice; counters are not negative;
 *   <li>histogram buckets ascend in {@code le}, are cumulative, end at {@code +Inf}, and the
 *       {@code +Inf} bucket equals {@code _count}; {@code _sum} is there.
 * </ul>
 *
 * Failures are {@link IllegalArgumentException}s naming the line.
 */
final class PrometheusText {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern FLOAT = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern TIMESTAMP = Pattern.compile("-?\\d+");

  enum Type { COUNTER, GAUGE, HISTOGRAM, SUMMARY, UNTYPED }

  record Sample(String name, Map<String, String> labels, double value) {}

  record Family(String name, Type type, String help, List<Sample> samples) {}

  /** A parsed page: families by name. */
  record Page(Map<String, Family> families) {
    Family family(String name) {
      Family family = families.get(name);
      if (family == null) {
        throw new AssertionError("no family " + name + " among " + families.keySet());
      }
      return family;
    }

    /** The value of the one sample named {@code sampleName} without labels. */
    double value(String sampleName) {
      return samples(sampleName).stream()
          .filter(s -> s.labels().isEmpty())
          .findFirst()
          .orElseThrow(() -> new AssertionError("no unlabelled sample " + sampleName))
          .value();
    }

    /** The sum over the samples named {@code sampleName} whose labels include {@code labels}. */
    double sum(String sampleName, Map<String, String> labels) {
      return samples(sampleName).stream()
          .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
          .mapToDouble(Sample::value)
          .sum();
    }

    /** Every sample named {@code sampleName}, whatever its family. */
    List<Sample> samples(String sampleName) {
      return families.values().stream()
          .flatMap(f -> f.samples().stream())
          .filter(s -> s.name().equals(sampleName))
          .toList();
    }
  }

  private PrometheusText() {}

  /** A member's /metrics page, fetched and parsed; fails unless it answers 200. */
  static Page scrape(java.net.URI endpoint) throws java.io.IOException, InterruptedException {
    java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(endpoint.resolve("/metrics"))
            .timeout(java.time.Duration.ofSeconds(10)).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (page.statusCode() != 200) {
      throw new AssertionError(endpoint + "/metrics answered " + page.statusCode());
    }
    return parse(page.body());
  }

  static Page parse(String text) {
    return new Parser().parse(text);
  }

  /** One pass over the lines; {@code current} is the family whose block is open. */
  private static final class Parser {
    private final Map<String, Type> types = new LinkedHashMap<>();
    private final Map<String, String> helps = new LinkedHashMap<>();
    private final Map<String, List<Sample>> samples = new LinkedHashMap<>();
    /** Families whose block has ended: seeing them again breaks contiguity. */
    private final Set<String> closed = new HashSet<>();
    private final Set<String> series = new HashSet<>();
    private String current;
    private int lineNumber;

    Page parse(String text) {
      if (!text.isEmpty() && !text.endsWith("\n")) {
        throw new IllegalArgumentException("the last line is not terminated by a newline");
      }
      for (String line : text.split("\n", -1)) {
        lineNumber++;
        if (line.isEmpty()) {
          continue;
        }
        if (line.startsWith("#")) {
          comment(line);
        } else {
          sample(line);
        }
      }
      Map<String, Family> families = new TreeMap<>();
      types.forEach((name, type) -> {
        Family family = new Family(name, type, helps.get(name), List.copyOf(samples.get(name)));
        checkFamily(family);
        families.put(name, family);
      });
      return new Page(Collections.unmodifiableMap(families));
    }

    private void comment(String line) {
      String[] parts = line.split(" ", 4);
      if (parts.length < 3 || !parts[0].equals("#") || !(parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
        return; // a plain comment
      }
      String name = parts[2];
      requireName(name);
      enter(name);
      if (parts[1].equals("HELP")) {
        if (helps.put(name, unescapeHelp(parts.length > 3 ? parts[3] : "")) != null) {
          fail("second HELP for " + name);
        }
        return;
      }
      if (parts.length != 4) {
        fail("TYPE without a type");
      }
      if (types.containsKey(name)) {
        fail("second TYPE for " + name);
      }
      if (!samples.get(name).isEmpty()) {
        fail("TYPE for " + name + " after its samples");
      }
      try {
        types.put(name, Type.valueOf(parts[3].toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        fail("unknown type " + parts[3]);
      }
    }

    /** Opens (or stays in) the block of family {@code name}. */
    private void enter(String name) {
      if (name.equals(current)) {
        return;
      }
      if (closed.contains(name)) {
        fail("family " + name + " is not contiguous");
      }
      if (current != null) {
        closed.add(current);
      }
      current = name;
      samples.putIfAbsent(name, new ArrayList<>());
    }

    private void sample(String line) {
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
        i++;
      }
      String name = line.substring(0, i);
      requireName(name);
      Map<String, String> labels = new TreeMap<>();
      if (i < line.length() && line.charAt(i) == '{') {
        i = labels(line, i + 1, labels);
      }
      String[] rest = line.substring(i).trim().split("[ \t]+");
      if (i >= line.length() || (line.charAt(i) != ' ' && line.charAt(i) != '\t') || rest.length > 2
          || rest[0].isEmpty()) {
        fail("expected ' value [timestamp]' after the name and labels");
      }
      double value = value(rest[0]);
      if (rest.length == 2 && !TIMESTAMP.matcher(rest[1]).matches()) {
        fail("bad timestamp " + rest[1]);
      }
      if (current == null || types.get(current) == null) {
        fail("sample " + name + " before any TYPE line of its family");
      }
      if (!belongs(name, current, types.get(current))) {
        fail("sample " + name + " does not belong to family " + current + " (" + types.get(current) + ")");
      }
      if (!series.add(name + labels)) {
        fail("series " + name + labels + " appears twice");
      }
      samples.get(current).add(new Sample(name, Collections.unmodifiableMap(labels), value));
    }

    /** Parses {@code name="value",...}} from {@code i}; returns the index after the closing brace. */
    private int labels(String line, int i, Map<String, String> labels) {
      while (true) {
        if (i < line.length() && line.charAt(i) == '}') {
          return i + 1;
        }
        int eq = line.indexOf('=', i);
        if (eq < 0) {
          fail("unterminated label set");
        }
        String labelName = line.substring(i, eq);
        if (!LABEL_NAME.matcher(labelName).matches()) {
          fail("bad label name '" + labelName + "'");
        }
        if (eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
          fail("label value of " + labelName + " is not quoted");
        }
        StringBuilder value = new StringBuilder();
        int j = eq + 2;
        while (true) {
          if (j >= line.length()) {
            fail("unterminated label value of " + labelName);
          }
          char c = line.charAt(j);
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            char next = j + 1 < line.length() ? line.charAt(j + 1) : ' ';
            switch (next) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default -> fail("bad escape \\" + next + " in label value of " + labelName);
            }
            j += 2;
          } else {
            value.append(c);
            j++;
          }
        }
        if (labels.put(labelName, value.toString()) != null) {
          fail("label " + labelName + " twice");
        }
        i = j + 1;
        if (i < line.length() && line.charAt(i) == ',') {
          i++;
        } else if (i >= line.length() || line.charAt(i) != '}') {
          fail("expected ',' or '}' after label " + labelName);
        }
      }
    }

    private static boolean belongs(String sample, String family, Type type) {
      return switch (type) {
        case COUNTER, GAUGE, UNTYPED -> sample.equals(family);
        case HISTOGRAM -> sample.equals(family + "_bucket") || sample.equals(family + "_sum")
            || sample.equals(family + "_count");
        case SUMMARY -> sample.equals(family) || sample.equals(family + "_sum") || sample.equals(family + "_count");
      };
    }

    private void checkFamily(Family family) {
      switch (family.type()) {
        case COUNTER -> family.samples().forEach(s -> {
          if (!(s.value() >= 0)) {
            throw new IllegalArgumentException("counter " + s.name() + s.labels() + " is " + s.value());
          }
        });
        case HISTOGRAM -> checkHistogram(family);
        case SUMMARY -> checkSummary(family);
        case GAUGE, UNTYPED -> { }
      }
    }

    /** Per label set without le: ascending le, cumulative counts, +Inf last and equal to _count, _sum present. */
    private static void checkHistogram(Family family) {
      Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
      Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
      Set<Map<String, String>> sums = new HashSet<>();
      for (Sample s : family.samples()) {
        if (s.name().endsWith("_bucket")) {
          if (!s.labels().containsKey("le")) {
            throw new IllegalArgumentException(s.name() + " without an le label");
          }
          Map<String, String> key = new TreeMap<>(s.labels());
          key.remove("le");
          buckets.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
        } else if (s.labels().containsKey("le")) {
          throw new IllegalArgumentException(s.name() + " has an le label");
        } else if (s.name().endsWith("_count")) {
          counts.put(s.labels(), s.value());
        } else {
          sums.add(s.labels());
        }
      }
      if (!buckets.keySet().equals(counts.keySet()) || !counts.keySet().equals(sums)) {
        throw new IllegalArgumentException("histogram " + family.name()
            + " lacks buckets, _sum or _count for some label set");
      }
      buckets.forEach((labels, series) -> {
        double previousLe = Double.NEGATIVE_INFINITY;
        double previousCount = 0;
        for (Sample bucket : series) {
          double le = parseValue(bucket.labels().get("le"));
          if (!(le > previousLe)) {
            throw new IllegalArgumentException(family.name() + labels + ": le " + le + " does not ascend");
          }
          if (bucket.value() < previousCount) {
            throw new IllegalArgumentException(family.name() + labels + ": bucket le=" + le + " is not cumulative");
          }
          previousLe = le;
          previousCount = bucket.value();
        }
        if (previousLe != Double.POSITIVE_INFINITY) {
          throw new IllegalArgumentException(family.name() + labels + ": no +Inf bucket");
        }
        if (previousCount != counts.get(labels)) {
          throw new IllegalArgumentException(family.name() + labels + ": +Inf bucket " + previousCount
              + " differs from _count " + counts.get(labels));
        }
      });
    }

    private static void checkSummary(Family family) {
      Set<Map<String, String>> quantiles = new HashSet<>();
      Set<Map<String, String>> counts = new HashSet<>();
      Set<Map<String, String>> sums = new HashSet<>();
      for (Sample s : family.samples()) {
        if (s.name().equals(family.name())) {
          double q = parseValue(s.labels().getOrDefault("quantile", "NaN"));
          if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException(s.name() + s.labels() + ": quantile must be in [0, 1]");
          }
          Map<String, String> key = new TreeMap<>(s.labels());
          key.remove("quantile");
          quantiles.add(key);
        } else if (s.name().endsWith("_count")) {
          counts.add(s.labels());
        } else {
          sums.add(s.labels());
        }
      }
      if (!counts.equals(sums) || !counts.containsAll(quantiles)) {
        throw new IllegalArgumentException("summary " + family.name() + " lacks _sum or _count for some label set");
      }
    }

    private double value(String text) {
      try {
        return parseValue(text);
      } catch (IllegalArgumentException e) {
        fail(e.getMessage());
        return 0;
      }
    }

    /** Go's float syntax as Prometheus accepts it: decimal or exponent, NaN, +Inf, -Inf. */
    private static double parseValue(String text) {
      return switch (text) {
        case "NaN" -> Double.NaN;
        case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> {
          if (!FLOAT.matcher(text).matches()) {
            throw new IllegalArgumentException("bad value '" + text + "'");
          }
          yield Double.parseDouble(text);
        }
      };
    }

    private static String unescapeHelp(String help) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < help.length(); i++) {
        char c = help.charAt(i);
        if (c == '\\' && i + 1 < help.length() && (help.charAt(i + 1) == '\\' || help.charAt(i + 1) == 'n')) {
          out.append(help.charAt(++i) == 'n' ? '\n' : '\\');
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }

    private void requireName(String name) {
      if (!METRIC_NAME.matcher(name).matches()) {
        fail("bad metric name '" + name + "'");
      }
    }

    private void fail(String problem) {
      throw new IllegalArgumentException("line " + lineNumber + ": " + problem);
    }
  }
}
