package keel.agent.gate;

import java.nio.file.Files;
import java.nio.file.Path;

/** What this machine can run as a gated process: a look along the PATH, as a shell would. */
public final class Executables {
  private Executables() {}

  /** Whether {@code executable} is an executable file in a directory of this process's PATH. */
  public static boolean onPath(String executable) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, executable))) {
        return true;
      }
    }
    return false;
  }

  /** Whether Debian's jupyter-notebook is installed here (what {@code --gate-cmd auto} looks for). */
  public static boolean jupyterInstalled() {
    return onPath("jupyter-notebook");
  }
}
