package keel.server.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;

/** {@code keel --version} and {@code keel server --version}: etcd's lines, in Keel's terms. */
public final class KeelVersion implements CommandLine.IVersionProvider {
  /** The etcd release whose API, flags and behaviour Keel follows. */
  public static final String ETCD_API = "3.4";

  /** Keel's version from the jar's Maven descriptor; {@code unknown} when run from classes. */
  public static String version() {
    try (InputStream in = KeelVersion.class.getResourceAsStream(
        "/META-INF/maven/io.keel/kv-server/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "unknown");
      }
    } catch (IOException e) {
      // fall through: a version line is not worth failing for
    }
    String implementation = KeelVersion.class.getPackage().getImplementationVersion();
    return implementation != null ? implementation : "unknown";
  }

  public static List<String> lines() {
    return List.of(
        "keel Version: " + version(),
        "etcd API Version: " + ETCD_API,
        "Java Version: " + System.getProperty("java.version"),
        "OS/Arch: " + System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT) + "/"
            + System.getProperty("os.arch"));
  }

  @Override
  public String[] getVersion() {
    return lines().toArray(String[]::new);
  }
}
