package keel.client.election;

/** Told, on its executor and in order, when this process becomes leader and when it stops. */
public interface LeadershipListener {
  void onElected(Leadership leadership);

  /**
   * Leadership ended: resigned, the session was lost (told before the session's own listeners), the
   * leader key was deleted by someone, or the election was closed. {@code reason} is for logs.
   */
  void onDeposed(Leadership leadership, String reason);
}
