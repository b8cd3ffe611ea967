package keel.torture.workload;

/**
 * One event as a watcher received it.
 *
 * @param nanos when it arrived ({@link System#nanoTime()})
 * @param revision the event's mod revision (a delete's: the revision that deleted)
 * @param put PUT, or else DELETE
 * @param key the key
 * @param value the value put ({@code null} for a delete)
 * @param prevValue the previous value the event carried ({@code null}: none, the key was absent)
 */
public record WatchedEvent(long nanos, long revision, boolean put, String key, String value, String prevValue) {
  @Override
  public String toString() {
    return "rev " + revision + " " + (put ? "PUT " : "DELETE ") + key
        + (put ? "=" + value : "") + " (prev " + prevValue + ")";
  }
}
