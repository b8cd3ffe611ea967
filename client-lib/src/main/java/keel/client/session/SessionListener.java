package keel.client.session;

/** Told once, on its executor, when a {@link Session} is lost or closed. */
@FunctionalInterface
public interface SessionListener {
  void onLost(SessionLost lost);
}
