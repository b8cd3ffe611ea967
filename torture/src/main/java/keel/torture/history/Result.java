package keel.torture.history;

/**
 * What came back for an {@link Op} that completed ({@link Event.Type#OK}), or why it did not.
 *
 * @param value the value read (READ, SERIAL_READ); {@code null} when the key did not exist
 * @param succeeded whether a CAS swapped; {@code true} for the other kinds
 * @param revision the response header's revision (the store's revision the answer reflects)
 * @param modRevision the read key's mod revision, or the revision a write created; 0 when none
 * @param error the error's text for FAIL and INFO, else {@code null}
 */
public record Result(Long value, boolean succeeded, long revision, long modRevision, String error) {
  public static Result read(Long value, long revision, long modRevision) {
    return new Result(value, true, revision, modRevision, null);
  }

  public static Result written(long revision) {
    return new Result(null, true, revision, revision, null);
  }

  public static Result cas(boolean succeeded, long revision) {
    return new Result(null, succeeded, revision, succeeded ? revision : 0, null);
  }

  public static Result error(String error) {
    return new Result(null, false, 0, 0, error);
  }
}
