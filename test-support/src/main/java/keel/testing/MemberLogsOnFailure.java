package keel.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
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
          + "| ERROR |became leader|became candidate|elected leader|lost leader"
          // the node agent's (keel.agent): sessions, the gate, its problems
          + "|session (open|lost)|leads the election|lost the election|lapsed|handing leadership| WARN Agent");
  private static final int LINES_PER_MEMBER = 12;
  private static final int LINE_CHARS = 170;
  private static final List<ClusterProcesses> STARTED = new ArrayList<>();
  private static final Map<String, Path> OTHER_LOGS = new LinkedHashMap<>();

  /** Called for every cluster a test creates. */
  static synchronized void record(ClusterProcesses cluster) {
    STARTED.add(cluster);
  }

  /**
   * A process the current test started some other way (e.g. a demo node): its log is summed up
   * too when the test fails. Call it from the test method (records are cleared before each test).
   */
  public static synchronized void recordLog(String name, Path logFile) {
    OTHER_LOGS.put(name, logFile);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    synchronized (MemberLogsOnFailure.class) {
      STARTED.clear();
      OTHER_LOGS.clear();
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
        append(out, member.name(), member.logFile());
      }
    }
    if (!OTHER_LOGS.isEmpty()) {
      out.append("process logs:\n");
      OTHER_LOGS.forEach((name, log) -> append(out, name, log));
    }
    return out.toString();
  }

  private static void append(StringBuilder out, String name, Path log) {
    for (String line : interestingLines(log)) {
      out.append("  ").append(name).append(": ").append(line).append('\n');
    }
  }

  private static List<String> interestingLines(Path logFile) {
    List<String> lines;
    try {
      if (!Files.exists(logFile)) {
        return List.of("(no log)");
      }
      lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
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
