package keel.torture.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import keel.torture.history.Call;
import keel.torture.history.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks serializable reads ({@link Op.Kind#SERIAL_READ}, answered from one member's local store,
 * so possibly stale) for what they do promise: nothing uncommitted and nothing going backwards.
 * For every such read that completed OK:
 *
 * <ol>
 *   <li><b>Only written values.</b> A value read was tried by some WRITE or CAS of that key (values
 *       are unique per write) that may have taken effect: not one that FAILed or a CAS that
 *       completed without swapping, and not one invoked only after the read had returned.
 *   <li><b>Never backwards.</b> Per member and per client process, successive reads never see a
 *       lower response revision, nor a lower mod revision of the same key; and a read's mod
 *       revision is at most its revision. (A read with no {@link Op#member()} may have gone to
 *       any member and is not compared.)
 *   <li><b>Revisions name writes.</b> A value read at mod revision r is the one the write
 *       acknowledged with revision r, when one was; the value's own acknowledged write, if any,
 *       has revision r; and every read of the key at r saw the same value.
 * </ol>
 *
 * A member that lost acknowledged state on a restart would show up under (2) too.
 */
public final class SerialReads {
  public static final String NAME = "serializable-reads";
  /** How many violations get an excerpt. */
  private static final int SHOWN = 5;

  private static final Logger LOG = LoggerFactory.getLogger(SerialReads.class);

  /** Checks the SERIAL_READ calls of {@code calls} against the WRITE and CAS calls beside them. */
  public Verdict check(List<Call> calls) {
    long start = Excerpt.start(calls);
    Map<String, Map<Long, List<Call>>> writersByKey = new HashMap<>();
    Map<String, Map<Long, Call>> ackedAtRevision = new HashMap<>();
    List<Call> reads = new ArrayList<>();
    for (Call c : calls) {
      Op op = c.op();
      switch (op.kind()) {
        case WRITE, CAS -> {
          writersByKey.computeIfAbsent(op.key(), k -> new HashMap<>())
              .computeIfAbsent(op.value(), v -> new ArrayList<>()).add(c);
          if (c.isOk() && c.result().succeeded() && c.result().modRevision() > 0) {
            ackedAtRevision.computeIfAbsent(op.key(), k -> new HashMap<>())
                .put(c.result().modRevision(), c);
          }
        }
        case SERIAL_READ -> {
          if (c.isOk()) {
            reads.add(c);
          }
        }
        case READ -> { }
      }
    }
    reads.sort((a, b) -> Long.compare(a.invoke().index(), b.invoke().index()));

    List<Violation> violations = new ArrayList<>();
    Map<String, Map<Long, Call>> readAtRevision = new HashMap<>();
    Map<String, Call> lastByMemberAndProcess = new HashMap<>();
    Map<String, Call> lastOfKeyByMemberAndProcess = new HashMap<>();
    long uncompared = 0;
    for (Call read : reads) {
      String key = read.op().key();
      Long value = read.result().value();
      long revision = read.result().revision();
      long modRevision = read.result().modRevision();

      // (1) only values some write may have written, and not before that write began.
      if (value != null) {
        List<Call> writers = writersByKey.getOrDefault(key, Map.of()).getOrDefault(value, List.of());
        List<Call> possible = writers.stream().filter(SerialReads::mayHaveWritten).toList();
        if (writers.isEmpty()) {
          violations.add(new Violation("read " + value + " that no write of " + key + " tried to write",
              List.of(read)));
        } else if (possible.isEmpty()) {
          violations.add(new Violation("read " + value + " whose only write did not take effect",
              concat(read, writers)));
        } else if (possible.stream().allMatch(w -> w.invokeNanos() > read.completeNanos())) {
          violations.add(new Violation("read " + value + " before its write was invoked",
              concat(read, possible)));
        }
      }

      // (2) never backwards per member and process.
      if (modRevision > revision) {
        violations.add(new Violation("mod revision " + modRevision + " above the response revision "
            + revision, List.of(read)));
      }
      if (read.op().member() == null) {
        uncompared++;
      } else {
        String stream = read.op().member() + " p" + read.process();
        Call previous = lastByMemberAndProcess.put(stream, read);
        if (previous != null && previous.result().revision() > revision) {
          violations.add(new Violation("revision went backwards on " + read.op().member() + " for p"
              + read.process() + ": " + previous.result().revision() + " then " + revision,
              List.of(previous, read)));
        }
        Call previousOfKey = lastOfKeyByMemberAndProcess.put(stream + " " + key, read);
        if (previousOfKey != null && previousOfKey.result().modRevision() > modRevision) {
          violations.add(new Violation("mod revision of " + key + " went backwards on "
              + read.op().member() + " for p" + read.process() + ": "
              + previousOfKey.result().modRevision() + " then " + modRevision,
              List.of(previousOfKey, read)));
        }
      }

      // (3) a mod revision names one write.
      if (value != null && modRevision > 0) {
        Call acked = ackedAtRevision.getOrDefault(key, Map.of()).get(modRevision);
        if (acked != null && !value.equals(acked.op().value())) {
          violations.add(new Violation("read " + value + " at mod revision " + modRevision
              + ", where the acknowledged write was " + acked.op().value(), List.of(acked, read)));
        }
        for (Call w : writersByKey.getOrDefault(key, Map.of()).getOrDefault(value, List.of())) {
          if (w.isOk() && w.result().succeeded() && w.result().modRevision() > 0
              && w.result().modRevision() != modRevision) {
            violations.add(new Violation("read " + value + " at mod revision " + modRevision
                + ", but its write was acknowledged at revision " + w.result().modRevision(),
                List.of(w, read)));
          }
        }
        Call earlier = readAtRevision.computeIfAbsent(key, k -> new HashMap<>()).putIfAbsent(modRevision, read);
        if (earlier != null && !value.equals(earlier.result().value())) {
          violations.add(new Violation("two reads of " + key + " at mod revision " + modRevision
              + " saw " + earlier.result().value() + " and " + value, List.of(earlier, read)));
        }
      }
    }

    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("reads", (long) reads.size());
    counts.put("readsWithoutMember", uncompared);
    counts.put("violations", (long) violations.size());
    if (violations.isEmpty()) {
      return Verdict.ok(NAME, reads.size() + " serializable reads: only written values, never backwards")
          .withCounts(counts);
    }
    List<String> excerpt = new ArrayList<>();
    for (Violation v : violations.subList(0, Math.min(SHOWN, violations.size()))) {
      excerpt.add(v.what() + ":");
      for (String line : Excerpt.lines(v.calls(), start)) {
        excerpt.add("  " + line);
      }
    }
    Violation first = violations.get(0);
    LOG.warn("{}: {} violations; first: {}: {}", NAME, violations.size(), first.what(),
        Excerpt.call(first.calls().get(first.calls().size() - 1)));
    return Verdict.violation(NAME, violations.size() + " violations; first: " + first.what(), excerpt)
        .withCounts(counts);
  }

  /** False only for a call certainly without effect: FAILed, or a CAS that did not swap. */
  private static boolean mayHaveWritten(Call c) {
    return !c.isFail() && !(c.isOk() && !c.result().succeeded());
  }

  private static List<Call> concat(Call read, List<Call> others) {
    List<Call> all = new ArrayList<>(others);
    all.add(read);
    return all;
  }

  private record Violation(String what, List<Call> calls) {}
}
