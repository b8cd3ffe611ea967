package keel.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keel members as OS processes, started by etcd's flags exactly as a script would start etcd:
 * {@code java -cp <this JVM's class path> keel.server.cli.KeelMain server <flags>}. For kill -9,
 * SIGSTOP and restart tests; in-process clusters are {@link KeelCluster}.
 */
public final class KeelProcesses {
  private KeelProcesses() {}

  /** The command prefix, with extra JVM options (e.g. {@code -Draft.server.log.segment.size.max=64KB}). */
  public static List<String> command(String... jvmOptions) {
    return java(jvmOptions, "keel.server.cli.KeelMain", "server");
  }

  /**
   * {@code keel agent}'s command prefix: the node agent with this node's member in the same JVM, as
   * a container runs it. Needs container-agent on this JVM's class path; agent flags may go among
   * the etcd flags.
   */
  public static List<String> agentCommand(String... jvmOptions) {
    return java(jvmOptions, "keel.agent.cli.AgentMain", "agent");
  }

  /**
   * A JVM running {@code mainClass} (a test's own helper process, e.g. a client to SIGSTOP) on this
   * JVM's whole class path, test classes included; arguments go after it.
   */
  public static List<String> testMain(String mainClass, String... jvmOptions) {
    List<String> command = jvm();
    command.addAll(List.of(jvmOptions));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    return command;
  }

  /**
   * This JVM's java with the serial collector and the client compiler only: a test member starts
   * in about 60% of the time (three members on two cores: 6.5 s to a healthy cluster instead of
   * 11 s), and tests exercise behaviour, not peak speed. A later -XX:TieredStopAtLevel=4 among the
   * caller's options restores the full JIT.
   */
  private static List<String> jvm() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    return command;
  }

  private static List<String> java(String[] jvmOptions, String mainClass, String subcommand) {
    List<String> command = jvm();
    command.add("-Xmx512m");
    // A member needs the jars of this JVM's class path, not the test classes' directories.
    String classPath = MemberClassData.jarsOnly(System.getProperty("java.class.path"));
    command.addAll(MemberClassData.options(classPath, List.copyOf(command)));
    command.addAll(List.of(jvmOptions));
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.add(subcommand);
    return command;
  }

  public static ClusterProcesses.Builder builder(String... jvmOptions) {
    return ClusterProcesses.builder(command(jvmOptions));
  }
}
