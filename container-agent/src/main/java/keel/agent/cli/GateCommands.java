package keel.agent.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import keel.agent.gate.Executables;

/**
 * Turns {@code --gate-cmd} into the argv the gate runs. Named choices: {@code jupyter} (Debian's
 * jupyter-notebook on the node's address and gate port, no token, as the clusters Keel replaces ran
 * it), {@code builtin} (this jar's small demo page, which needs nothing installed), {@code auto}
 * (jupyter when installed, else builtin) and {@code none}; anything else is a shell command.
 */
final class GateCommands {
  /** @param warning what to tell the operator; empty when all is well */
  record Gate(List<String> argv, String description, String warning) {}

  private GateCommands() {}

  static Gate resolve(String gateCmd, String node, String listen, Path record) {
    return resolve(gateCmd, node, listen, record, Executables::onPath);
  }

  /** As above, with {@code installed} telling whether an executable is on the PATH (tests pass their own). */
  static Gate resolve(String gateCmd, String node, String listen, Path record, Predicate<String> installed) {
    String choice = gateCmd == null ? "auto" : gateCmd.strip();
    switch (choice) {
      case "none" -> {
        return new Gate(List.of(), "none", "");
      }
      case "auto" -> {
        return installed.test("jupyter-notebook") ? jupyter()
            : new Gate(builtin(node, listen, record).argv(), "builtin",
                "jupyter-notebook is not installed: the gated process is the built-in demo page");
      }
      case "jupyter" -> {
        Gate gate = jupyter();
        return installed.test("jupyter-notebook") ? gate : new Gate(gate.argv(), gate.description(),
            "--gate-cmd jupyter: jupyter-notebook is not on the PATH; the gated process will fail to"
                + " start (install Debian's jupyter-notebook, or use --gate-cmd builtin)");
      }
      case "builtin" -> {
        return builtin(node, listen, record);
      }
      default -> {
        if (choice.isEmpty()) {
          throw new IllegalArgumentException("--gate-cmd is empty: give a command, or 'none' for no gated process");
        }
        String[] words = choice.split("\\s+");
        // The program the shell runs: after a leading 'exec' (the usual way to keep the pid).
        String first = words[0].equals("exec") && words.length > 1 ? words[1] : words[0];
        String warning = first.contains("/") || first.contains("$") || installed.test(first) ? ""
            : "--gate-cmd: '" + first + "' is not on the PATH; the gated process will fail to start";
        return new Gate(List.of("/bin/sh", "-c", choice), choice, warning);
      }
    }
  }

  private static Gate jupyter() {
    String cmd = "exec jupyter-notebook --ip=\"$KEEL_GATE_HOST\" --port=\"$KEEL_GATE_PORT\""
        + " --NotebookApp.token= --NotebookApp.password= --no-browser --allow-root"
        + " --NotebookApp.port_retries=0";
    return new Gate(List.of("/bin/sh", "-c", cmd), "jupyter", "");
  }

  private static Gate builtin(String node, String listen, Path record) {
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    argv.add("-Xmx64m");
    argv.add("-XX:TieredStopAtLevel=1");
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    argv.add("keel.agent.service.DemoService");
    argv.add("--node");
    argv.add(node);
    argv.add("--listen");
    argv.add(listen);
    if (record != null) {
      argv.add("--record");
      argv.add(record.toString());
    }
    return new Gate(List.copyOf(argv), "builtin", "");
  }
}
