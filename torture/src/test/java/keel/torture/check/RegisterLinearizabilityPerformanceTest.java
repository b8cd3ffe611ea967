package keel.torture.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.torture.history.Call;
import keel.torture.history.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The size of a real run's busiest key: 5 clients x 2000 calls with faults, on one key. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegisterLinearizabilityPerformanceTest {
  @Test
  void fiveClientsTimesTwoThousandCallsOnOneKeyAreCheckedInSeconds() {
    List<Call> calls = RegisterSimulation.run(7, 5, 2000, "k");
    // CPU time of this thread, not wall time: the build machine's load must not fail the test.
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long started = threads.getCurrentThreadCpuTime();
    Verdict v = new RegisterLinearizability().check(calls);
    Duration took = Duration.ofNanos(threads.getCurrentThreadCpuTime() - started);
    assertThat(v.valid()).as(v.render()).isTrue();
    assertThat(v.counts().get("calls")).isGreaterThan(9000L);
    assertThat(took).as("checking %s", v.counts()).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aStaleReadLateInALongHistoryWithoutFaultsIsFoundQuickly() {
    List<Call> calls = RegisterSimulation.runWithoutFaults(7, 5, 2000, "k");
    List<Call> reads = calls.stream().filter(c -> c.op().kind() == Op.Kind.READ).toList();
    Call victim = reads.get(reads.size() * 9 / 10);
    Verdict v = new RegisterLinearizability().check(RegisterSimulation.withReadValue(calls, victim, -1L));
    assertThat(v.failed()).as(v.render()).isTrue();
    assertThat(v.summary()).contains("key k:", "-> -1");
  }
}
