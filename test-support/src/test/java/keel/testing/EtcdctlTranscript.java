package keel.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A sequence of etcdctl steps and what one cluster printed for them, masked by {@link EtcdctlMask}
 * and with the run's key prefix replaced by {@code <p>} (and its base64 form by {@code <p64>}), so
 * two clusters' transcripts compare as plain text.
 */
final class EtcdctlTranscript {
  /** One etcdctl invocation: a label for humans, the arguments, and standard input. */
  record Step(String label, List<String> args, byte[] stdin) {
    Step {
      args = List.copyOf(args);
    }

    static Step of(String label, String... args) {
      return new Step(label, List.of(args), new byte[0]);
    }

    static Step withStdin(String label, String stdin, String... args) {
      return new Step(label, List.of(args), stdin.getBytes(StandardCharsets.UTF_8));
    }

    static Step withStdin(String label, byte[] stdin, String... args) {
      return new Step(label, List.of(args), stdin);
    }
  }

  /** One step's masked outcome, rendered as a block of text. */
  record Entry(int number, Step step, Etcdctl.Result result) {
    String render(String prefix) {
      StringBuilder out = new StringBuilder();
      out.append("### ").append(number).append(". ").append(step.label()).append('\n');
      out.append("$ etcdctl");
      for (String arg : step.args()) {
        out.append(' ').append(arg.isEmpty() || arg.contains(" ") ? "'" + arg + "'" : arg);
      }
      out.append('\n');
      if (step.stdin().length > 0) {
        out.append("--- stdin\n").append(describeStdin(step.stdin()));
      }
      out.append("--- exit ").append(result.exitCode()).append('\n');
      out.append("--- stdout\n").append(endWithNewline(result.stdout()));
      out.append("--- stderr\n").append(endWithNewline(result.stderr()));
      return hidePrefix(out.toString(), prefix);
    }
  }

  private final String prefix;
  private final List<Entry> entries = new ArrayList<>();

  /**
   * {@code prefix} must be a multiple of 3 bytes long, so its base64 form is a fixed leading part of
   * every key that starts with it.
   */
  EtcdctlTranscript(String prefix) {
    if (prefix.getBytes(StandardCharsets.UTF_8).length % 3 != 0) {
      throw new IllegalArgumentException("prefix length must be a multiple of 3: " + prefix);
    }
    this.prefix = prefix;
  }

  /**
   * Runs every step in order with {@code etcdctl} and records the masked results. Lease ids are
   * named {@code <lease-1>, <lease-2>...} in grant order ({@link EtcdctlMask.LeaseTokens}); a step's
   * arguments may name them so.
   */
  static EtcdctlTranscript record(Etcdctl etcdctl, String prefix, List<Step> steps) {
    EtcdctlTranscript transcript = new EtcdctlTranscript(prefix);
    EtcdctlMask.LeaseTokens leases = new EtcdctlMask.LeaseTokens();
    for (Step step : steps) {
      Etcdctl.Result raw = etcdctl.run(leases.resolve(step.args()), step.stdin());
      leases.learn(raw.stdout());
      transcript.add(step, new Etcdctl.Result(step.args(), raw.exitCode(), leases.hide(raw.stdout()),
          leases.hide(raw.stderr())));
    }
    return transcript;
  }

  /** Runs each step with {@code etcdctl} and records its result (no lease tokens: see {@link #record}). */
  void run(Etcdctl etcdctl, Step... steps) {
    for (Step step : steps) {
      add(step, etcdctl.run(step.args(), step.stdin()));
    }
  }

  /** Records a result obtained otherwise (a background watch), masked and with the prefix hidden. */
  void add(Step step, Etcdctl.Result raw) {
    Etcdctl.Result r = raw.masked();
    entries.add(new Entry(entries.size() + 1, step,
        new Etcdctl.Result(r.args(), r.exitCode(), hidePrefix(r.stdout(), prefix), hidePrefix(r.stderr(), prefix))));
  }

  List<Entry> entries() {
    return entries;
  }

  /** The masked result (prefix hidden) of the step with this label (labels are unique within a sequence). */
  Etcdctl.Result result(String label) {
    return entries.stream()
        .filter(e -> e.step().label().equals(label))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no step " + label))
        .result();
  }

  /** Each step rendered, with the prefix hidden: the unit two transcripts are compared by. */
  List<String> renderedSteps() {
    return entries.stream().map(e -> e.render(prefix)).toList();
  }

  String render() {
    return String.join("\n", renderedSteps());
  }

  /** Writes the transcript to {@code target/<fileName>}, for reading after a run; returns it. */
  String write(String fileName) throws IOException {
    String rendered = render();
    Path out = Path.of("target", fileName);
    Files.createDirectories(out.getParent());
    Files.writeString(out, rendered, StandardCharsets.UTF_8);
    return rendered;
  }

  /**
   * Asserts that {@code actual} (Keel's) printed what {@code expected} (etcd's) printed, step by
   * step, after {@code normalise} (identity where nothing else needs masking); the first differing
   * step is named in the failure.
   */
  static void assertSameSteps(EtcdctlTranscript expected, EtcdctlTranscript actual,
      java.util.function.UnaryOperator<String> normalise) {
    List<String> want = expected.renderedSteps().stream().map(normalise).toList();
    List<String> got = actual.renderedSteps().stream().map(normalise).toList();
    for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
      org.assertj.core.api.Assertions.assertThat(got.get(i)).as("step %d on keel", i + 1).isEqualTo(want.get(i));
    }
    org.assertj.core.api.Assertions.assertThat(got).hasSameSizeAs(want);
  }

  private static String describeStdin(byte[] stdin) {
    if (stdin.length > 1024) {
      return "(" + stdin.length + " bytes)\n";
    }
    return endWithNewline(new String(stdin, StandardCharsets.UTF_8));
  }

  private static String endWithNewline(String s) {
    return s.isEmpty() || s.endsWith("\n") ? s : s + "\n(no newline at end)\n";
  }

  private static String hidePrefix(String text, String prefix) {
    String base64 = Base64.getEncoder().encodeToString(prefix.getBytes(StandardCharsets.UTF_8));
    return text.replace(prefix, "<p>").replace(base64, "<p64>");
  }
}
