package keel.server.cli;

/**
 * A command line that cannot run, with the exit code etcd would use: 2 for what Go's flag
 * package refuses while parsing (unknown flag, missing or malformed value), 1 for what etcd
 * refuses afterwards while verifying the flags (environment values, cross-flag rules).
 * No stack trace: it is an answer for the user, not a bug.
 */
public final class CliException extends RuntimeException {
  /** Go's flag package: a flag-syntax error, printed with the usage line. */
  public static final int USAGE = 2;
  /** etcd's "error verifying flags". */
  public static final int INVALID_CONFIG = 1;

  private final int exitCode;

  public CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  static CliException usage(String message) {
    return new CliException(USAGE, message);
  }

  static CliException invalid(String message) {
    return new CliException(INVALID_CONFIG, message);
  }

  public int exitCode() {
    return exitCode;
  }
}
