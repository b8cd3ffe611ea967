package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One session's place in the queue of an etcd concurrency recipe (Go's {@code concurrency.Election}
 * and {@code Mutex}, which {@code LeaderElection} and {@code DistributedLock} follow). The queue is the
 * keys under {@code <name>/} in create-revision order; this contender's key is {@code <name>/<lease
 * hex>}, under its session's lease. The oldest key holds (leads, has the lock); the others wait for
 * every key created before theirs to go.
 *
 * <p>What both recipes do with it, in this order: {@link #create} the key (if absent: a key this
 * session created before is kept); {@link #awaitOlder} until every older key is deleted (watching only
 * the newest one ahead, so a release wakes one waiter, not all); {@link #watchOwnKey} while holding,
 * since someone deleting the key, or its lease ending, ends the hold; {@link #delete} it when done.
 * Writes after the create are guarded by the key's create revision (the fencing token), so they
 * never touch a newer key of the same lease.
 *
 * <p>The wait and the own-key watch belong to the contender, and {@link #stop()} ends both. Thread-safe;
 * a recipe may call it under its own lock (this one's is taken after the recipe's, never before).
 */
public final class RecipeContender {
  /** For a get of a recipe's prefix: the oldest key (lowest create revision), and only it: who holds. */
  public static final GetOption OLDEST = GetOption.builder()
      .isPrefix(true)
      .withSortField(GetOption.SortTarget.CREATE)
      .withSortOrder(GetOption.SortOrder.ASCEND)
      .withLimit(1)
      .build();

  private final Client client;
  private final KV kv;
  private final long leaseId;
  private final ByteSequence prefix;
  private final ByteSequence key;
  private final Executor executor;
  private CompletableFuture<Long> waiting; // guarded by this
  private OwnKeyWatch ownKey; // guarded by this

  /**
   * The contender of lease {@code leaseId} in the recipe {@code name} (keys {@code name/<lease hex>});
   * its wait and own-key watch run on {@code executor}, which should be serial.
   */
  public RecipeContender(Client client, long leaseId, ByteSequence name, Executor executor) {
    this.client = Objects.requireNonNull(client, "client");
    this.kv = client.getKVClient();
    this.leaseId = leaseId;
    this.prefix = RecipeKeys.prefix(name);
    this.key = RecipeKeys.key(name, leaseId);
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /** This contender's key, {@code <name>/<lease hex>}. */
  public ByteSequence key() {
    return key;
  }

  /** {@code <name>/}: where every contender's key lives. */
  public ByteSequence prefix() {
    return prefix;
  }

  /**
   * One transaction: if the key is absent, puts {@code value} under the lease; if it is there (this
   * session's key from before), reads it and leaves it as it is. {@code reads} run after that in both
   * branches, so the answer's get responses are {@code reads} after a put, and the own key followed by
   * {@code reads} otherwise. {@link #createRevision} and {@link #existingValue} read the answer.
   *
   * @throws RuntimeException what jetcd throws when it cannot send (e.g. a closed client)
   */
  public CompletableFuture<TxnResponse> create(ByteSequence value, Op... reads) {
    List<Op> put = new ArrayList<>(List.of(Op.put(key, value, withLease())));
    List<Op> get = new ArrayList<>(List.of(Op.get(key, GetOption.DEFAULT)));
    put.addAll(List.of(reads));
    get.addAll(List.of(reads));
    return kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(put.toArray(Op[]::new))
        .Else(get.toArray(Op[]::new))
        .commit();
  }

  /**
   * Replaces the key's value if the key still has {@code createRevision} (a proclaim); the answer is
   * not succeeded when the key is gone or was re-created.
   */
  public CompletableFuture<TxnResponse> replace(long createRevision, ByteSequence value) {
    return kv.txn()
        .If(stillCreatedAt(createRevision))
        .Then(Op.put(key, value, withLease()))
        .commit();
  }

  /** Deletes the key if it still has {@code createRevision}. Never throws: a failure is in the future. */
  public CompletableFuture<Void> delete(long createRevision) {
    try {
      return kv.txn()
          .If(stillCreatedAt(createRevision))
          .Then(Op.delete(key, DeleteOption.DEFAULT))
          .commit()
          .thenApply(response -> null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The key's create revision from {@link #create}'s answer: the put's revision, or the existing key's;
   * 0 when the key was not there after all.
   */
  public static long createRevision(TxnResponse created) {
    if (created.isSucceeded()) {
      return created.getHeader().getRevision();
    }
    List<KeyValue> kvs = created.getGetResponses().get(0).getKvs();
    return kvs.isEmpty() ? 0 : kvs.get(0).getCreateRevision();
  }

  /** The existing key's value from {@link #create}'s answer; null after a put. */
  public static ByteSequence existingValue(TxnResponse created) {
    if (created.isSucceeded()) {
      return null;
    }
    List<KeyValue> kvs = created.getGetResponses().get(0).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0).getValue();
  }

  /**
   * Starts waiting until no key under the prefix created before {@code myRevision} is left (Go's {@code
   * waitDeletes}). The future completes with the revision at which none was; cancelling it, or {@link
   * #stop()}, ends the wait (it then fails with {@link CancellationException}). It becomes the wait that
   * {@link #stop()} ends.
   */
  public synchronized CompletableFuture<Long> awaitOlder(long myRevision) {
    waiting = WaitDeletes.start(client, prefix, myRevision - 1, executor);
    return waiting;
  }

  /**
   * Watches the key, created at {@code createRevision}, from {@code fromRevision} (replacing the watch
   * of an earlier hold); calls {@code onGone} with a reason, once, on the executor, when the key is
   * deleted or re-created, unless the watch was stopped first.
   */
  public synchronized void watchOwnKey(long createRevision, long fromRevision, Consumer<String> onGone) {
    stopWatchingOwnKey();
    ownKey = OwnKeyWatch.start(client, key, createRevision, fromRevision, executor, onGone);
  }

  /** Stops watching the key (the hold ended); a wait goes on. */
  public synchronized void stopWatchingOwnKey() {
    if (ownKey != null) {
      ownKey.cancel();
      ownKey = null;
    }
  }

  /** Ends the wait and the own-key watch. */
  public synchronized void stop() {
    if (waiting != null) {
      waiting.completeExceptionally(new CancellationException("stopped waiting for the keys ahead"));
      waiting = null;
    }
    stopWatchingOwnKey();
  }

  private PutOption withLease() {
    return PutOption.builder().withLeaseId(leaseId).build();
  }

  private Cmp stillCreatedAt(long createRevision) {
    return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision));
  }
}
