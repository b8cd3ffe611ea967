package keel.client.cache;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.util.Objects;

/**
 * One change to a {@link PrefixCache}.
 *
 * @param type PUT (created or updated) or DELETE
 * @param key the key
 * @param value for PUT the new KeyValue; for DELETE the KeyValue the cache held before (null if it
 *     held none)
 * @param revision the store revision of the change: the put's or delete's mod revision; in a resync
 *     diff, a PUT's mod revision and, for a DELETE, the revision of the reload that found it gone
 */
public record CacheChange(Type type, ByteSequence key, KeyValue value, long revision) {
  public CacheChange {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    if (type == Type.PUT) {
      Objects.requireNonNull(value, "a PUT carries its value");
    }
  }

  public enum Type { PUT, DELETE }

  @Override
  public String toString() {
    return type + " " + key + "@" + revision;
  }
}
