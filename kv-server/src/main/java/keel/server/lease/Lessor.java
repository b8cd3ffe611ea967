package keel.server.lease;

import com.google.protobuf.ByteString;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.mvcc.LeaseLookup;

/**
 * The replicated half of etcd's lessor ({@code lease/lessor.go}): which leases exist, the TTL each
 * was granted, and which keys are attached to each. Every member holds the same one, a function of
 * the log. There is no clock here: when a lease expires is the leader's business ({@link
 * ExpiryQueue}), and an expiry reaches this class as an ordinary revoke from the log.
 *
 * <p>Example, with min TTL 2: {@code grant(7, 1)} holds lease 7 with TTL 2 (raised, as etcd does);
 * a put of {@code a} with lease 7 then {@link #attach}es {@code a}; a put of {@code a} without a
 * lease {@link #detach}es it; {@code revoke(7)} answers the keys still attached, sorted, for the
 * caller to delete at one revision.
 *
 * <p>Threads: changed by the apply thread only; read by any thread (the lease service lists leases
 * and keys). One monitor guards the maps. {@link Listener} calls are made outside it.
 */
public final class Lessor implements LeaseLookup {
  /** etcd's {@code MaxLeaseTTL}: a grant above this many seconds fails with LEASE_TTL_TOO_LARGE. */
  public static final long MAX_LEASE_TTL = 9_000_000_000L;

  /** Told of every grant and revoke after it is applied (the leader's expiry clock listens). */
  public interface Listener {
    Listener NONE = new Listener() {
      @Override
      public void granted(long id, long ttl) {}

      @Override
      public void revoked(long id) {}
    };

    /** Must not block: it is called on the apply thread. */
    void granted(long id, long ttl);

    /** Must not block: it is called on the apply thread. */
    void revoked(long id);

    /** Tells {@code first}, then {@code second}. */
    static Listener both(Listener first, Listener second) {
      return new Listener() {
        @Override
        public void granted(long id, long ttl) {
          first.granted(id, ttl);
          second.granted(id, ttl);
        }

        @Override
        public void revoked(long id) {
          first.revoked(id);
          second.revoked(id);
        }
      };
    }
  }

  /** A lease as the lessor holds it: its id, granted TTL in seconds and attached keys, sorted. */
  public record Lease(long id, long ttl, List<ByteString> keys) {
    public Lease {
      keys = List.copyOf(keys);
    }
  }

  private final long minTtl;
  private final Listener listener;
  /** Guarded by {@code this}. Lease id to its state; sorted, so iteration is deterministic. */
  private final TreeMap<Long, Entry> leases = new TreeMap<>();

  private static final class Entry {
    final long ttl;
    final NavigableSet<ByteString> keys = new TreeSet<>(ByteString.unsignedLexicographicalComparator());

    Entry(long ttl) {
      this.ttl = ttl;
    }
  }

  /**
   * @param minTtl etcd's minimum lease TTL in seconds, {@code ceil(1.5 x election timeout)}: every
   *     member must use the same value, as it decides the TTL recorded at apply
   */
  public Lessor(long minTtl, Listener listener) {
    this.minTtl = minTtl;
    this.listener = listener;
  }

  /** etcd's minimum TTL for the election timeout: 1.5 election timeouts, rounded up to seconds. */
  public static long minTtlSeconds(long electionMillis) {
    return (3 * electionMillis + 1999) / 2000;
  }

  public long minTtl() {
    return minTtl;
  }

  /**
   * etcd's {@code Grant}, checked in etcd's order: id 0 is LEASE_NOT_FOUND, a TTL above {@link
   * #MAX_LEASE_TTL} is LEASE_TTL_TOO_LARGE, a taken id is LEASE_EXIST. A TTL below the minimum is
   * raised to it.
   *
   * @return the TTL granted
   */
  public long grant(long id, long requestedTtl) {
    if (id == 0) {
      throw new EtcdException(EtcdError.LEASE_NOT_FOUND);
    }
    if (requestedTtl > MAX_LEASE_TTL) {
      throw new EtcdException(EtcdError.LEASE_TTL_TOO_LARGE);
    }
    long ttl = Math.max(requestedTtl, minTtl);
    synchronized (this) {
      if (leases.containsKey(id)) {
        throw new EtcdException(EtcdError.LEASE_EXIST);
      }
      leases.put(id, new Entry(ttl));
    }
    listener.granted(id, ttl);
    return ttl;
  }

  /**
   * etcd's {@code Revoke}: forgets the lease and answers the keys attached to it, sorted, which the
   * caller deletes in one write. LEASE_NOT_FOUND when there is no such lease.
   */
  public List<ByteString> revoke(long id) {
    List<ByteString> keys;
    synchronized (this) {
      Entry entry = leases.remove(id);
      if (entry == null) {
        throw new EtcdException(EtcdError.LEASE_NOT_FOUND);
      }
      keys = List.copyOf(entry.keys);
    }
    listener.revoked(id);
    return keys;
  }

  /** Attaches {@code key} to lease {@code id}; a lease that does not exist (any more) is ignored. */
  public synchronized void attach(long id, ByteString key) {
    Entry entry = leases.get(id);
    if (entry != null) {
      entry.keys.add(key);
    }
  }

  /** Detaches {@code key} from lease {@code id}, if both are there. */
  public synchronized void detach(long id, ByteString key) {
    Entry entry = leases.get(id);
    if (entry != null) {
      entry.keys.remove(key);
    }
  }

  @Override
  public synchronized boolean exists(long leaseId) {
    return leases.containsKey(leaseId);
  }

  /** The lease with its keys, if it exists. */
  public synchronized Optional<Lease> lookup(long id) {
    Entry entry = leases.get(id);
    return entry == null ? Optional.empty() : Optional.of(new Lease(id, entry.ttl, List.copyOf(entry.keys)));
  }

  /** Every lease id with its granted TTL, by id (no keys). */
  public synchronized Map<Long, Long> ttls() {
    Map<Long, Long> ttls = new TreeMap<>();
    leases.forEach((id, entry) -> ttls.put(id, entry.ttl));
    return ttls;
  }

  /** Every lease id, ascending. */
  public synchronized List<Long> ids() {
    return new ArrayList<>(leases.keySet());
  }

  /** Writes every lease with its TTL and keys, in id order. */
  public synchronized void writeTo(DataOutputStream out) throws IOException {
    out.writeLong(minTtl);
    out.writeInt(leases.size());
    for (Map.Entry<Long, Entry> lease : leases.entrySet()) {
      out.writeLong(lease.getKey());
      out.writeLong(lease.getValue().ttl);
      out.writeInt(lease.getValue().keys.size());
      for (ByteString key : lease.getValue().keys) {
        out.writeInt(key.size());
        key.writeTo(out);
      }
    }
  }

  /**
   * Reads a lessor written by {@link #writeTo}. The minimum TTL is this member's configured one
   * (it applies to grants from now on); the TTLs recorded stay as they were granted.
   */
  public static Lessor readFrom(DataInputStream in, long minTtl, Listener listener) throws IOException {
    in.readLong(); // the writer's minimum TTL, kept in the format for diagnosis
    Lessor lessor = new Lessor(minTtl, listener);
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      long id = in.readLong();
      Entry entry = new Entry(in.readLong());
      int keys = in.readInt();
      for (int k = 0; k < keys; k++) {
        byte[] key = new byte[in.readInt()];
        in.readFully(key);
        entry.keys.add(ByteString.copyFrom(key));
      }
      lessor.leases.put(id, entry);
    }
    return lessor;
  }
}
