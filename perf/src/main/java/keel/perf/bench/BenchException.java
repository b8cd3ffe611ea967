package keel.perf.bench;

/**
 * A run that could not happen or not finish (an endpoint that does not answer, setup that failed).
 * Its message is printed as is, after {@code keel bench:}, so it says what went wrong and what to do.
 */
final class BenchException extends RuntimeException {
  BenchException(String message) {
    super(message);
  }

  BenchException(String message, Throwable cause) {
    super(message, cause);
  }
}
