package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class MemberLogsOnFailureTest {
  private final MemberLogsOnFailure extension = new MemberLogsOnFailure();

  @Test
  void aFailureCarriesWhatTheMembersLoggedAboutLeaders() throws Exception {
    extension.beforeEach(null);
    try (ClusterProcesses cluster = ClusterProcesses.builder(List.of("/bin/true")).size(2).create()) {
      write(cluster.member(0), "2026-11-25T14:13:14.516 INFO KeelStateMachine - m1: leader is now m2",
          "2026-11-25T14:13:15.000 WARN GrpcLogAppender - m1->m2: Follower failed");
      write(cluster.member(1), "2026-11-25T14:13:14.500 INFO KeelStateMachine - m2: leader is now m2");
      AssertionError failed = new AssertionError("expected 3 but was 2");

      Throwable thrown = catchThrowable(() -> extension.handleTestExecutionException(null, failed));

      assertThat(thrown).isInstanceOf(AssertionError.class).hasCause(failed);
      assertThat(thrown.getMessage()).startsWith("expected 3 but was 2\nmember logs (" + cluster.clusterName() + "):\n")
          .contains("  m1: 2026-11-25T14:13:14.516 INFO KeelStateMachine - m1: leader is now m2\n")
          .contains("  m2: 2026-11-25T14:13:14.500 INFO KeelStateMachine - m2: leader is now m2\n")
          .doesNotContain("Follower failed");
      assertThat(thrown.getStackTrace()).isEqualTo(failed.getStackTrace());

      TestAbortedException skipped = new TestAbortedException("no etcd here");
      assertThat(catchThrowable(() -> extension.handleTestExecutionException(null, skipped))).isSameAs(skipped);

      ExecutionException error = new ExecutionException(new IllegalStateException("context deadline exceeded"));
      assertThat(catchThrowable(() -> extension.handleTestExecutionException(null, error)))
          .hasCause(error).hasMessageContaining("context deadline exceeded").hasMessageContaining("leader is now m2");
    }
  }

  @Test
  void aTestThatStartedNoProcessesFailsUnchanged() {
    extension.beforeEach(null);
    AssertionError failed = new AssertionError("plain");
    assertThat(catchThrowable(() -> extension.handleTestExecutionException(null, failed))).isSameAs(failed);
  }

  private static void write(MemberProcess member, String... lines) throws Exception {
    Files.createDirectories(member.logFile().getParent());
    Files.write(member.logFile(), List.of(lines), StandardCharsets.UTF_8);
  }
}
