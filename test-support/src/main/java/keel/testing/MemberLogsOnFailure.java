package keel.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * When a test fails, its failure message also says what the member processes it started logged
 * about starts, leaders, snapshots and errors, so that a failure on CI, where only the build's
 * summary is seen, explains itself. Registered for every test of this module (see {@code
 * junit-platform.properties}); a test that started no processes fails unchanged.
 *
 * <pre>
 * CrashRecoveryIT...:44 » Execution ... context deadline exceeded
 * member logs (c-1a2b3c4d):
 *   m1: 14:13:14.516 INFO KeelStateMachine - m1: leader is now m3
 * </pre>
 */
public final class MemberLogsOnFailure implements BeforeEachCallback, TestExecutionExceptionHandler {
  private static final Pattern WORTH_SHOWING = Pattern.compile(
      "=== start|leader is now|no longer leader|installed a snapshot|loaded snapshot|serving clients|: stopped$"
          + "| ERROR |became leader|became candidate|elected leader|lost leader");
  private static final int LINES_PER_MEMBER = 12;
  private static final int LINE_CHARS = 170;
  private static final List<ClusterProcesses> STARTED = new ArrayList<>();

  /** Called for every cluster a test creates. */
  static synchronized void record(ClusterProcesses cluster) {
    STARTED.add(cluster);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    synchronized (MemberLogsOnFailure.class) {
      STARTED.clear();
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    String logs = summary();
    if (logs.isEmpty() || failure instanceof TestAbortedException) {
      throw failure; // an unmet assumption skips the test: it must stay what it is
    }
    String message = failure.getMessage() != null ? failure.getMessage() : failure.toString();
    Throwable explained = failure instanceof AssertionError
        ? new AssertionError(message + "\n" + logs, failure)
        : new IllegalStateException(failure + "\n" + logs, failure);
    explained.setStackTrace(failure.getStackTrace());
    throw explained;
  }

  private static synchronized String summary() {
    StringBuilder out = new StringBuilder();
    for (ClusterProcesses cluster : STARTED) {
      out.append("member logs (").append(cluster.clusterName()).append("):\n");
      for (MemberProcess member : cluster.members()) {
        for (String line : interestingLines(member)) {
          out.append("  ").append(member.name()).append(": ").append(line).append('\n');
        }
      }
    }
    return out.toString();
  }

  private static List<String> interestingLines(MemberProcess member) {
    List<String> lines;
    try {
      if (!Files.exists(member.logFile())) {
        return List.of("(no log)");
      }
      lines = Files.readAllLines(member.logFile(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of("(log unreadable: " + e + ")");
    }
    List<String> shown = lines.stream()
        .filter(line -> WORTH_SHOWING.matcher(line).find())
        .map(line -> line.length() > LINE_CHARS ? line.substring(0, LINE_CHARS) + "..." : line)
        .toList();
    return shown.subList(Math.max(0, shown.size() - LINES_PER_MEMBER), shown.size());
  }
}
