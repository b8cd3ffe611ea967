package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import keel.torture.history.Call;
import keel.torture.history.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The search alone, without {@link StaleReads}' shortcut in front of it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WglSearchTest {
  private static WglSearch.Status search(List<Call> calls) {
    List<Call> kept = RegisterLinearizability.withoutUnobservedUnknowns(calls.stream()
        .filter(c -> c.op().kind() != Op.Kind.SERIAL_READ && !c.isFail()
            && !(c.op().kind() == Op.Kind.READ && c.isUnknown()))
        .toList());
    return WglSearch.run(kept, 50_000_000).status();
  }

  @Test
  void findsAStaleReadAndAReadFromTheFuture() {
    assertThat(search(new TestHistory()
        .write(1, 0, 1, "k", 1)
        .write(1, 2, 3, "k", 2)
        .read(2, 4, 5, "k", 1L).calls())).isEqualTo(WglSearch.Status.NOT_LINEARIZABLE);
    assertThat(search(new TestHistory()
        .read(1, 0, 1, "k", 7L)
        .write(2, 2, 3, "k", 7).calls())).isEqualTo(WglSearch.Status.NOT_LINEARIZABLE);
  }

  @Test
  void findsCorruptedReadsInGeneratedHistories() {
    for (long seed = 1; seed <= 20; seed++) {
      List<Call> calls = RegisterSimulation.run(seed, 3 + (int) (seed % 5), 60, "k");
      assertThat(search(calls)).as("seed %d", seed).isEqualTo(WglSearch.Status.LINEARIZABLE);
      List<Call> reads = calls.stream().filter(c -> c.op().kind() == Op.Kind.READ && c.isOk()).toList();
      Call victim = reads.get(new SplittableRandom(seed).nextInt(reads.size()));
      assertThat(search(RegisterSimulation.withReadValue(calls, victim, -42L)))
          .as("seed %d, %s", seed, Excerpt.call(victim)).isEqualTo(WglSearch.Status.NOT_LINEARIZABLE);
    }
  }

  @Test
  void rejectsCallsOutOfInvocationOrder() {
    List<Call> calls = new TestHistory().write(1, 0, 1, "k", 1).write(2, 2, 3, "k", 2).calls();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> WglSearch.run(List.of(calls.get(1), calls.get(0)), 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("calls must be in invocation order");
  }
}
