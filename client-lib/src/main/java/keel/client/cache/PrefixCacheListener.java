package keel.client.cache;

import java.util.List;

/**
 * Told of a {@link PrefixCache}'s changes, on the executor it was added with, one call at a time and
 * in order.
 */
public interface PrefixCacheListener {
  /**
   * Changes from the watch, in revision order, never duplicated or missing; {@code after} is the
   * view with them applied.
   */
  void onChanges(List<CacheChange> changes, CacheSnapshot after);

  /**
   * After a reload (the watch was compacted away, failed, or the server restarted): {@code diff} takes
   * the view before to {@code after} (in key order; possibly empty). Events in between are not
   * delivered one by one; the diff stands for them.
   */
  default void onResync(List<CacheChange> diff, CacheSnapshot after) {}
}
