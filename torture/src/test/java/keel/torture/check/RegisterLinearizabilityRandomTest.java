package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import keel.torture.history.Call;
import keel.torture.history.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Histories generated from a real register ({@link RegisterSimulation}) must pass; the same
 * histories with one read corrupted must fail.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegisterLinearizabilityRandomTest {
  private static final int SEEDS = 40;

  private final RegisterLinearizability checker = new RegisterLinearizability();

  @Test
  void historiesOfARealRegisterAreLinearizable() {
    for (long seed = 1; seed <= SEEDS; seed++) {
      List<Call> calls = RegisterSimulation.run(seed, 3 + (int) (seed % 8), 60, "a", "b");
      Verdict v = checker.check(calls);
      assertThat(v.valid()).as("seed %d: %s", seed, v.render()).isTrue();
      Verdict serial = new SerialReads().check(calls);
      assertThat(serial.valid()).as("seed %d: %s", seed, serial.render()).isTrue();
    }
  }

  @Test
  void aReadOfAValueNeverWrittenIsCaught() {
    for (long seed = 1; seed <= SEEDS; seed++) {
      List<Call> calls = RegisterSimulation.run(seed, 3 + (int) (seed % 8), 60, "a", "b");
      List<Call> reads = okReads(calls);
      Call victim = reads.get(new SplittableRandom(seed).nextInt(reads.size()));
      Verdict v = checker.check(RegisterSimulation.withReadValue(calls, victim, -42L));
      assertThat(v.failed()).as("seed %d, corrupted %s: %s", seed, Excerpt.call(victim), v.render()).isTrue();
      assertThat(v.summary()).contains("key " + victim.op().key() + ":");
    }
  }

  @Test
  void aStaleReadIsCaught() {
    int corrupted = 0;
    for (long seed = 1; seed <= SEEDS; seed++) {
      List<Call> calls = RegisterSimulation.run(seed, 3 + (int) (seed % 8), 60, "a", "b");
      Stale stale = findStale(calls, new SplittableRandom(seed));
      if (stale == null) {
        continue;
      }
      corrupted++;
      Verdict v = checker.check(RegisterSimulation.withReadValue(calls, stale.read(), stale.value()));
      assertThat(v.failed())
          .as("seed %d, %s made to read %d: %s", seed, Excerpt.call(stale.read()), stale.value(), v.render())
          .isTrue();
    }
    assertThat(corrupted).as("histories with a stale read to plant").isGreaterThan(SEEDS / 2);
  }

  private record Stale(Call read, long value) {}

  /**
   * An OK read r and two OK writes w1, w2 of its key with w1 returned before w2 was invoked and w2
   * returned before r was invoked: every linearization has w1 < w2 < r, so r reading w1's (unique)
   * value is stale.
   */
  private static Stale findStale(List<Call> calls, SplittableRandom random) {
    List<Call> reads = okReads(calls);
    for (int attempt = 0; attempt < 50; attempt++) {
      Call r = reads.get(random.nextInt(reads.size()));
      List<Call> writes = new ArrayList<>();
      for (Call c : calls) {
        if (c.op().key().equals(r.op().key()) && c.isOk() && !c.op().isRead() && c.result().succeeded()
            && c.completeNanos() < r.invokeNanos()) {
          writes.add(c);
        }
      }
      for (Call w2 : writes) {
        for (Call w1 : writes) {
          if (w1.completeNanos() < w2.invokeNanos()) {
            return new Stale(r, w1.op().value());
          }
        }
      }
    }
    return null;
  }

  private static List<Call> okReads(List<Call> calls) {
    return calls.stream().filter(c -> c.op().kind() == Op.Kind.READ && c.isOk()).toList();
  }
}
