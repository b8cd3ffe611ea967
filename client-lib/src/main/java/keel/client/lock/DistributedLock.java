package keel.client.lock;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import keel.client.session.Session;
import keel.client.session.SessionListener;
import keel.client.session.SessionLost;
import keel.client.session.SessionLostException;
import keel.client.support.EtcdErrors;
import keel.client.support.EventThreads;
import keel.client.support.RecipeContender;
import keel.client.support.RecipeKeys;
import keel.client.support.SerialExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's distributed mutex (Go {@code concurrency.Mutex}, {@code etcdctl lock}, the v3lock service)
 * over one {@link Session}, with the same keys, so Keel programs, etcdctl and Go programs exclude
 * each other.
 *
 * <p><b>How.</b> One transaction puts {@code <name>/<lease hex>} under the session's lease if absent
 * (reusing it if this session already has it) and reads the oldest key under {@code <name>/}; if
 * that is ours, the lock is held. Otherwise {@link #lock()} waits until every key created before
 * ours is deleted (watching only the newest one ahead), then checks that its own key is still there.
 * The key's create revision is the fencing token. A wait that ends without the lock (timeout,
 * interrupt, session loss) deletes its key so it does not block others. The queue and its watches
 * are {@link RecipeContender}'s, shared with the election.
 *
 * <p><b>Losing it.</b> The lock belongs to the session, not to a thread. Losing the session drops
 * the lock first ({@link #isHeld()} false at once, before the session's listeners are told) and
 * makes a waiting {@code lock()} throw {@link SessionLostException}; someone deleting the key also
 * ends the hold. {@code lock()} while held returns the same handle (not counted: one {@link
 * #unlock()} releases).
 */
public final class DistributedLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedLock.class);
  /** The longest wait for one round trip (the acquiring transaction, the unlock's delete). */
  public static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(10);

  private final KV kv;
  private final Session session;
  private final SerialExecutor serial = new SerialExecutor(EventThreads.shared());
  private final RecipeContender contender;
  private final ByteSequence key;
  private final String logName;
  private final SessionListener dependent = this::onSessionLost;

  // Guarded by this:
  private LockHandle held;
  private SessionLost lost;
  private boolean closed;

  /** The lock {@code name} (keys {@code name/<lease hex>}) for {@code session}'s holder. */
  public DistributedLock(Client client, Session session, ByteSequence name) {
    this.kv = Objects.requireNonNull(client, "client").getKVClient();
    this.session = Objects.requireNonNull(session, "session");
    this.contender = new RecipeContender(client, session.leaseId(), RecipeKeys.requireName(name, "a lock"), serial);
    this.key = contender.key();
    this.logName = "lock " + key.toString(StandardCharsets.UTF_8);
    session.addDependent(dependent);
  }

  /**
   * Blocks until the lock is held.
   *
   * @throws InterruptedException if interrupted while waiting (the key is withdrawn)
   * @throws SessionLostException if the session is lost first
   */
  public LockHandle lock() throws InterruptedException {
    return acquire(true, Long.MAX_VALUE).orElseThrow();
  }

  /** Takes the lock if it is free right now (one round trip), without waiting for others. */
  public Optional<LockHandle> tryLock() {
    try {
      return acquire(false, OPERATION_TIMEOUT.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Waits at most {@code timeout} for the lock; on timeout withdraws its key and returns empty. */
  public Optional<LockHandle> tryLock(Duration timeout) throws InterruptedException {
    return acquire(true, Math.max(0, timeout.toNanos()));
  }

  /**
   * Releases the lock: deletes the key (guarded by its create revision), waiting at most {@link
   * #OPERATION_TIMEOUT}. A no-op when not held (e.g. already lost with the session). If the delete
   * fails, the key stays until the session's lease ends, and others wait until then.
   */
  public void unlock() {
    LockHandle h;
    synchronized (this) {
      h = held;
      held = null;
      contender.stopWatchingOwnKey();
    }
    if (h == null) {
      return;
    }
    LOG.info("{}: unlocking", logName);
    try {
      contender.delete(h.fencingToken()).get(OPERATION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("{}: could not delete the lock key ({}); others get the lock when the session's lease ends",
          logName, EtcdErrors.describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Held right now: acquired, not released or lost, and the session's deadline not passed. */
  public boolean isHeld() {
    synchronized (this) {
      return held != null && session.isAlive();
    }
  }

  /** The handle while {@link #isHeld()}. */
  public Optional<LockHandle> handle() {
    synchronized (this) {
      return isHeld() ? Optional.of(held) : Optional.empty();
    }
  }

  /** The lock's key for this session, {@code <name>/<lease hex>}. */
  public ByteSequence key() {
    return key;
  }

  /** Unlocks if held; the lock cannot be used afterwards. */
  @Override
  public void close() {
    unlock();
    synchronized (this) {
      closed = true;
      contender.stopWatchingOwnKey();
    }
    session.removeListener(dependent);
  }

  // ---- acquiring ----

  private Optional<LockHandle> acquire(boolean wait, long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 4);
    synchronized (this) {
      checkUsable();
      if (held != null) {
        return Optional.of(held);
      }
    }
    Op readOwner = Op.get(contender.prefix(), RecipeContender.OLDEST);
    TxnResponse response = await(contender.create(ByteSequence.EMPTY, readOwner), OPERATION_TIMEOUT.toNanos(),
        "the acquiring transaction");
    long myRevision = RecipeContender.createRevision(response);
    // getGetResponses() holds only the range answers: [owner] after the put, [own key, owner] otherwise
    List<KeyValue> owner = response.getGetResponses().get(response.isSucceeded() ? 0 : 1).getKvs();
    boolean mine = owner.isEmpty() || owner.get(0).getCreateRevision() == myRevision;
    if (!mine) {
      if (!wait) {
        withdraw(myRevision, "the lock is held by " + owner.get(0).getKey().toString(StandardCharsets.UTF_8));
        return Optional.empty();
      }
      if (!awaitPredecessors(myRevision, deadline)) {
        return Optional.empty();
      }
      // Still ours? (the key goes with the lease, or with someone's delete, while we wait)
      GetResponse check = await(kv.get(key), OPERATION_TIMEOUT.toNanos(), "the check of the own key");
      if (check.getKvs().isEmpty() || check.getKvs().get(0).getCreateRevision() != myRevision) {
        throw new IllegalStateException(logName + ": the lock key vanished while waiting (session expired, or "
            + "someone deleted it)");
      }
    }
    LockHandle handle = new LockHandle(key, myRevision);
    synchronized (this) {
      if (lost != null) {
        throw new SessionLostException(logName, lost);
      }
      if (closed) {
        throw new IllegalStateException(logName + " was closed while acquiring");
      }
      held = handle;
      contender.watchOwnKey(myRevision, response.getHeader().getRevision() + 1,
          reason -> onOwnKeyGone(handle, reason));
    }
    LOG.info("{}: locked, fencing token {}", logName, myRevision);
    return Optional.of(handle);
  }

  /** True when every key ahead is gone; false (key withdrawn) on timeout; throws on loss/interrupt. */
  private boolean awaitPredecessors(long myRevision, long deadline) throws InterruptedException {
    CompletableFuture<Long> older;
    synchronized (this) {
      checkUsable();
      older = contender.awaitOlder(myRevision);
    }
    LOG.info("{}: waiting for the holders ahead", logName);
    try {
      long left = remaining(deadline);
      if (left <= 0) {
        throw new TimeoutException();
      }
      older.get(left, TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      withdraw(myRevision, "timed out waiting");
      return false;
    } catch (InterruptedException e) {
      withdraw(myRevision, "interrupted while waiting");
      throw e;
    } catch (ExecutionException | CancellationException e) {
      SessionLost why;
      synchronized (this) {
        why = lost;
      }
      withdraw(myRevision, "stopped waiting");
      if (why != null) {
        throw new SessionLostException(logName, why);
      }
      throw new IllegalStateException(logName + ": waiting for the lock failed: " + EtcdErrors.describe(e), e);
    } finally {
      older.cancel(false); // ends the wait if it is still going
    }
  }

  /** Deletes a key that did not (or no longer should) get the lock, in the background. */
  private void withdraw(long myRevision, String why) {
    LOG.info("{}: not locked: {}; withdrawing the key", logName, why);
    contender.delete(myRevision).whenComplete((ok, error) -> {
      if (error != null) {
        LOG.info("{}: could not withdraw the key ({}); it goes with the session's lease", logName,
            EtcdErrors.describe(error));
      }
    });
  }

  private <T> T await(CompletableFuture<T> future, long timeoutNanos, String what) throws InterruptedException {
    try {
      return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(logName + ": no answer to " + what + " within "
          + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms; is the cluster reachable?", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(logName + ": " + what + " failed: " + EtcdErrors.describe(e), e.getCause());
    }
  }

  private void checkUsable() {
    if (closed) {
      throw new IllegalStateException(logName + " is closed");
    }
    if (lost != null) {
      throw new SessionLostException(logName, lost);
    }
  }

  // ---- losing it ----

  /** The session's dependent: runs on the thread that detected the loss, before anyone else is told. */
  private void onSessionLost(SessionLost why) {
    LockHandle was;
    synchronized (this) {
      lost = why;
      was = held;
      held = null;
      contender.stop();
    }
    if (was != null) {
      LOG.warn("{}: lost the lock: the session was lost ({}: {})", logName, why.reason(), why.detail());
    }
  }

  private void onOwnKeyGone(LockHandle handle, String reason) {
    synchronized (this) {
      if (held != handle) {
        return;
      }
      held = null;
      contender.stopWatchingOwnKey();
    }
    LOG.warn("{}: lost the lock: the key {}", logName, reason);
  }

  private static long remaining(long deadline) {
    return deadline - System.nanoTime();
  }
}
