package keel.torture.history;

/**
 * An invocation paired with its completion: the unit the checkers reason about.
 *
 * @param invoke the INVOKE event
 * @param completion the OK, FAIL or INFO event; {@code null} when the run ended first (treated as INFO)
 */
public record Call(Event invoke, Event completion) {
  public Op op() {
    return invoke.op();
  }

  public int process() {
    return invoke.process();
  }

  public long invokeNanos() {
    return invoke.nanos();
  }

  /** When it returned; {@link Long#MAX_VALUE} when its outcome is unknown (it may still take effect). */
  public long completeNanos() {
    return isOk() || isFail() ? completion.nanos() : Long.MAX_VALUE;
  }

  public boolean isOk() {
    return completion != null && completion.type() == Event.Type.OK;
  }

  public boolean isFail() {
    return completion != null && completion.type() == Event.Type.FAIL;
  }

  /** INFO, or never completed. */
  public boolean isUnknown() {
    return !isOk() && !isFail();
  }

  /** The result when OK, else {@code null}. */
  public Result result() {
    return isOk() ? completion.result() : null;
  }
}
