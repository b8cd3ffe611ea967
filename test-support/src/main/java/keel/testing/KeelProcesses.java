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

  /** The command prefix, with extra JVM options (e.g. {@code -Dkeel.raft.segmentSizeMax=64KB}). */
  public static List<String> command(String... jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-XX:+UseSerialGC");
    command.addAll(List.of(jvmOptions));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("keel.server.cli.KeelMain");
    command.add("server");
    return command;
  }

  public static ClusterProcesses.Builder builder(String... jvmOptions) {
    return ClusterProcesses.builder(command(jvmOptions));
  }
}
