package keel.perf.bench;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The sizes of what the workloads write: key and value. */
final class KeyOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--key-size", defaultValue = "8", description = "Key size in bytes (default ${DEFAULT-VALUE}).")
  int keySize;

  @Option(names = "--val-size", defaultValue = "8", description = "Value size in bytes (default ${DEFAULT-VALUE}).")
  int valueSize;

  /** Keys of this size in a space of {@code spaceSize} keys, named by the flag that set the size. */
  Keys keys(long spaceSize, boolean sequential, String spaceFlag) {
    if (keySize < 1 || keySize > 18) {
      throw invalid("--key-size must be 1..18 (keys are zero-padded decimal numbers), was " + keySize);
    }
    if (valueSize < 0) {
      throw invalid("--val-size must be 0 or more, was " + valueSize);
    }
    if (spaceSize < 1) {
      throw invalid(spaceFlag + " must be at least 1, was " + spaceSize);
    }
    if (spaceSize > Keys.maxSpace(keySize)) {
      throw invalid(spaceFlag + " " + spaceSize + " needs more distinct keys than " + keySize
          + "-digit keys hold: raise --key-size to at least " + Long.toString(spaceSize - 1).length());
    }
    return new Keys(keySize, valueSize, spaceSize, sequential);
  }

  private ParameterException invalid(String message) {
    return new ParameterException(command.commandLine(), message);
  }
}
