package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The test-only broken-guarantee switches ({@code -Dkeel.test.break=...}, keel.server.TestBreaks)
 * on a member process: an unknown name stops the member at startup. That each switch breaks its
 * guarantee is shown end to end by torture's BrokenGuaranteesIT (the right checker fails); the
 * unit tests (KvServiceBreaksTest, WatchHubTest) show what each one changes, and that without the
 * property nothing does.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TestBreaksIT {
  @Test
  void anUnknownSwitchStopsTheMemberAtStartupWithAClearError() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder("-Dkeel.test.break=stale-reads,stale_reads")
        .size(1).create()) {
      MemberProcess member = keel.member(0);
      member.start();
      Deadlines.await(member + " to exit", Duration.ofSeconds(30)).until(() -> !member.isAlive());
      String log = Files.readString(member.logFile());
      assertThat(log).contains("keel: failed to start the server: keel.test.break=stale-reads,stale_reads:"
          + " unknown switch 'stale_reads'; the known test-only switches are stale-reads, early-ack,"
          + " drop-watch-event. Remove the -Dkeel.test.break JVM option to run a normal member");
      assertThat(log).doesNotContain("serving clients");
    }
  }
}
