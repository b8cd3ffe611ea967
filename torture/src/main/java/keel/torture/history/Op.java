package keel.torture.history;

/**
 * What a client asked for, as recorded at invocation. Fields a kind does not use are {@code null}.
 *
 * <ul>
 *   <li>{@link Kind#READ}/{@link Kind#SERIAL_READ}: {@code key}; the value read is in the {@link
 *       Result}.
 *   <li>{@link Kind#WRITE}: {@code key := value}.
 *   <li>{@link Kind#CAS}: {@code if key == expected then key := value}; whether it swapped is {@link
 *       Result#succeeded()}.
 * </ul>
 *
 * Register values are longs, unique per written value, so a read names the write it saw; {@code
 * null} is "the key does not exist".
 *
 * @param kind what was asked
 * @param key the register (an etcd key)
 * @param value the value written (WRITE, CAS)
 * @param expected the value compared (CAS); {@code null} compares against absence
 * @param member the endpoint the client sent it to ({@code 127.0.0.1:2379}), or {@code null} when
 *     the client may pick any
 */
public record Op(Kind kind, String key, Long value, Long expected, String member) {
  /** The operations of the register workload. */
  public enum Kind {
    /** Linearizable get (ReadIndex). */
    READ,
    /** Serializable get: the member's local store, may be stale. */
    SERIAL_READ,
    /** Put. */
    WRITE,
    /** Txn comparing the value, then put. */
    CAS
  }

  public static Op read(String key, String member) {
    return new Op(Kind.READ, key, null, null, member);
  }

  public static Op serialRead(String key, String member) {
    return new Op(Kind.SERIAL_READ, key, null, null, member);
  }

  public static Op write(String key, long value, String member) {
    return new Op(Kind.WRITE, key, value, null, member);
  }

  public static Op cas(String key, Long expected, long value, String member) {
    return new Op(Kind.CAS, key, value, expected, member);
  }

  public boolean isRead() {
    return kind == Kind.READ || kind == Kind.SERIAL_READ;
  }
}
