package keel.perf.bench;

import picocli.CommandLine.Option;

/** Which keys the key-value workloads touch. */
final class KeySpaceOptions {
  @Option(names = "--key-space-size", defaultValue = "1", description = "Distinct keys used (default ${DEFAULT-VALUE}).")
  long size;

  @Option(names = "--sequential-keys", description = "Use the keys in order (request n: key n mod size) instead of at random.")
  boolean sequential;

  Keys keys(KeyOptions key) {
    return key.keys(size, sequential, "--key-space-size");
  }
}
