package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import keel.testing.faults.FakeClocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member's request deadlines run on the monotonic clock, as Go's contexts do: a write that finds
 * no leader fails after etcd's request timeout even when the member's wall clock is stepped back
 * a minute meanwhile (on the wall clock it would go on retrying for that minute).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WallClockStepIT {
  @Test
  void aWriteWithoutLeaderEndsInTimeWhenTheWallClockStepsBack(@TempDir Path dir) throws Exception {
    FakeClocks clocks = FakeClocks.create(dir);
    String first = ClusterProcesses.memberName(0);
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).wrapper(first, clocks.commandPrefix(first)).start()) {
      MemberProcess stepped = keel.member(0);
      keel.member(1).kill9();
      keel.member(2).kill9();
      Etcdctl alone = Etcdctl.of(stepped.address().clientEndpoint());
      long start = System.nanoTime();
      CompletableFuture<Etcdctl.Result> put =
          CompletableFuture.supplyAsync(() -> alone.run("put", "k", "v", "--command-timeout=90s"));
      // The step comes once the put waits for a leader, its deadline taken before the step.
      Deadlines.await("the put pending on " + stepped.name(), Duration.ofSeconds(10))
          .until(() -> PrometheusText.scrape(URI.create(stepped.address().clientUrl()))
              .value("etcd_server_proposals_pending") >= 1);
      clocks.step(stepped.name(), Duration.ofSeconds(-60));
      Etcdctl.Result result = put.get(40, TimeUnit.SECONDS);
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      System.out.printf("WallClockStepIT: without a leader, with the wall clock stepped back 60 s, the put ended"
          + " after %d ms: %s", took, result.stderr());
      assertThat(result.exitCode()).as("put without leader").isNotZero();
      assertThat(took).as("ms until the put without leader ended").isLessThan(Deadlines.scaled(Duration.ofSeconds(20)).toMillis());
    }
  }
}
