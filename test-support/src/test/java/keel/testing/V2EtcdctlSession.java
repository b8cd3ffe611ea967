package keel.testing;

import static keel.testing.EtcdctlTranscript.Step;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One cluster's run of an etcdctl v2 sequence: resolves index tokens in a step's arguments, runs
 * it, masks what it printed ({@link V2Mask}, indexes relative to the index when the session
 * started) and records it in a transcript.
 *
 * <p>Waits (a TTL expiring, a watch printing) never fail the run: a wait that times out is noted
 * on stdout and every later wait of the session gives up at once, so a broken server costs one
 * deadline and its transcript still shows where it differs.
 */
final class V2EtcdctlSession {
  private static final Pattern TOKEN = Pattern.compile("\\{(base|index|createdIndex|modifiedIndex)(?::([^}]*))?}");
  /** Per etcdctl run: etcdctl v2's own --total-timeout is 5 s, only a watch can take longer. */
  private static final Duration RUN = Duration.ofSeconds(10);
  /** A TTL of 1-2 s expires on etcd's next SYNC tick (every 500 ms) after it ran out. */
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final V2Http http;
  private final Etcdctl etcdctl;
  private final V2Mask mask;
  private final EtcdctlTranscript transcript;
  private boolean gaveUp;

  /** {@code etcdctl} and {@code http} talk to the same member. */
  V2EtcdctlSession(String prefix, V2Http http, Etcdctl etcdctl) {
    this.http = http;
    this.etcdctl = etcdctl;
    this.mask = new V2Mask(http.index());
    this.transcript = new EtcdctlTranscript(prefix);
  }

  EtcdctlTranscript transcript() {
    return transcript;
  }

  void runAll(List<Step> steps) {
    steps.forEach(this::run);
  }

  Etcdctl.Result run(Step step) {
    return run(etcdctl, step);
  }

  /**
   * Runs {@code step} through {@code via} and records it. A run that does not end (a one-shot
   * watch that finds no event) is recorded as exit -1 with a note, so the transcripts differ there.
   */
  Etcdctl.Result run(Etcdctl via, Step step) {
    List<String> args = resolve(step.args());
    Etcdctl.Result raw;
    try {
      raw = via.withTimeout(RUN).run(args, step.stdin());
    } catch (IllegalStateException e) {
      raw = new Etcdctl.Result(args, -1, "", "(did not end within " + Deadlines.scaled(RUN) + ")\n");
    }
    add(step, raw);
    return raw;
  }

  /** Records a result obtained otherwise (a background watch) under {@code step}. */
  void add(Step step, Etcdctl.Result raw) {
    transcript.add(step, new Etcdctl.Result(step.args(), raw.exitCode(), mask.mask(raw.stdout()), mask.mask(raw.stderr())));
  }

  /**
   * {@code args} with {@code {base}} (the index when the session started), {@code {index}} (the
   * member's index now) and {@code {createdIndex:/key}} / {@code {modifiedIndex:/key}} replaced by
   * numbers. A token that cannot be resolved (no such key, no v2 API) becomes "unresolved", which
   * etcdctl refuses: the transcripts then differ at that step.
   */
  List<String> resolve(List<String> args) {
    List<String> resolved = new ArrayList<>();
    for (String arg : args) {
      Matcher m = TOKEN.matcher(arg);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        OptionalLong value = switch (m.group(1)) {
          case "base" -> OptionalLong.of(mask.base());
          case "index" -> OptionalLong.of(http.index());
          default -> http.nodeIndex(m.group(2), m.group(1));
        };
        m.appendReplacement(out, value.isPresent() ? Long.toString(value.getAsLong()) : "unresolved");
      }
      resolved.add(m.appendTail(out).toString());
    }
    return resolved;
  }

  /** Polls {@code ls key} (unrecorded) until the key is gone. */
  void awaitGone(String key) {
    await(key + " expired", () -> etcdctl.run("ls", key).stderr().contains("Key not found"));
  }

  /** Waits until a background etcdctl printed {@code text} on stdout. */
  void awaitOutput(Etcdctl.Background process, String text) {
    await("etcdctl printing " + text, () -> process.stdout().contains(text));
  }

  /** Waits until a background etcdctl printed {@code lines} lines, stdout and stderr together. */
  void awaitLines(Etcdctl.Background process, int lines) {
    await("etcdctl printing " + lines + " lines", () -> lines(process.stdout()) + lines(process.stderr()) >= lines);
  }

  private static long lines(String text) {
    return text.chars().filter(c -> c == '\n').count();
  }

  private void await(String what, Callable<Boolean> condition) {
    if (gaveUp) {
      return;
    }
    try {
      Deadlines.await(what, WAIT).until(condition);
    } catch (ConditionTimeoutException e) {
      gaveUp = true;
      System.out.println("gave up waiting for " + what + " after " + Deadlines.scaled(WAIT) + "; not waiting any more");
    }
  }
}
