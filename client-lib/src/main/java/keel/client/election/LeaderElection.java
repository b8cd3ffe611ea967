package keel.client.election;

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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import keel.client.session.Session;
import keel.client.session.SessionListener;
import keel.client.session.SessionLost;
import keel.client.session.SessionLostException;
import keel.client.support.EtcdErrors;
import keel.client.support.EventThreads;
import keel.client.support.OwnKeyWatch;
import keel.client.support.RecipeKeys;
import keel.client.support.SerialExecutor;
import keel.client.support.WaitDeletes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's leader election (Go {@code concurrency.Election}, {@code etcdctl elect}, the v3election
 * service) over one {@link Session}, with the same keys, so Keel programs, etcdctl and Go programs
 * contend in the same election.
 *
 * <p><b>How.</b> A campaign puts {@code <name>/<lease hex>} under the session's lease if it is
 * absent (a transaction; if this session's key is already there it is reused, and re-proclaimed
 * when its value differs), then waits until every key under {@code <name>/} created before it is
 * deleted, watching only the newest one ahead. The oldest key leads; its create revision is the
 * fencing token.
 *
 * <p><b>Losing it.</b> Losing the session drops leadership first: a dependent of the session marks
 * this election not leader and tells listeners {@code onDeposed} before the session's own listeners
 * hear of the loss; a pending campaign fails with {@link SessionLostException}; the election can
 * not campaign again (open a new session and a new election). Someone deleting the leader key also
 * deposes (the own key is watched); that election may campaign again. {@link #isLeader()} also checks
 * the session's deadline, so it turns false the moment keep-alives stop being confirmed in time.
 *
 * <p>One campaign at a time per election; the key is per session, so two elections of one name on
 * one session are one contender.
 */
public final class LeaderElection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);
  /** How long {@link #close()} waits for its resign to reach the cluster. */
  public static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

  private enum State { IDLE, CAMPAIGNING, LEADER, LOST, CLOSED }

  private final Client client;
  private final KV kv;
  private final Session session;
  private final ByteSequence prefix;
  private final ByteSequence key;
  private final String logName;
  private final SerialExecutor serial = new SerialExecutor(EventThreads.shared());
  private final List<Registration> listeners = new CopyOnWriteArrayList<>();
  private final SessionListener dependent = this::onSessionLost;
  /** Listener calls in the order of the state changes; see {@link #queue}. */
  private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
  private final SerialExecutor announcer = new SerialExecutor(Runnable::run);

  // All guarded by this:
  private State state = State.IDLE;
  private long attempt; // one per campaign; callbacks of an older one are ignored
  private CompletableFuture<Leadership> campaign;
  private Leadership leadership;
  private long myRevision; // the own key's create revision in this attempt; 0 before the create answered
  private WaitDeletes waiting;
  private OwnKeyWatch ownKey;
  private SessionLost sessionLost;

  /** An election {@code name} (keys {@code name/<lease hex>}) for {@code session}'s holder. */
  public LeaderElection(Client client, Session session, ByteSequence name) {
    this.client = Objects.requireNonNull(client, "client");
    this.kv = client.getKVClient();
    this.session = Objects.requireNonNull(session, "session");
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("an election needs a non-empty name");
    }
    this.prefix = RecipeKeys.prefix(name);
    this.key = RecipeKeys.key(name, session.leaseId());
    this.logName = "election " + key.toString(StandardCharsets.UTF_8);
    session.addDependent(dependent);
  }

  /**
   * Campaigns with {@code value}. Completes when this key is the oldest under the name; exceptionally
   * with {@link SessionLostException} when the session is lost, {@link CancellationException} when
   * the election resigns or closes first, or the cluster's error when the key could not be written.
   * While leading, returns the current leadership; while campaigning, the pending campaign.
   */
  public CompletableFuture<Leadership> campaign(ByteSequence value) {
    Objects.requireNonNull(value, "value");
    long a;
    CompletableFuture<Leadership> future;
    synchronized (this) {
      switch (state) {
        case CLOSED:
          return CompletableFuture.failedFuture(new IllegalStateException(logName + " is closed"));
        case LOST:
          return CompletableFuture.failedFuture(new SessionLostException("campaign in " + logName, sessionLost));
        case LEADER:
          return CompletableFuture.completedFuture(leadership);
        case CAMPAIGNING:
          return campaign.copy();
        case IDLE:
          break;
      }
      a = ++attempt;
      state = State.CAMPAIGNING;
      myRevision = 0;
      campaign = new CompletableFuture<>();
      future = campaign.copy();
    }
    LOG.info("{}: campaigning", logName);
    long lease = session.leaseId();
    CompletableFuture<TxnResponse> create;
    try {
      create = kv.txn()
          .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
          .Then(Op.put(key, value, PutOption.builder().withLeaseId(lease).build()))
          .Else(Op.get(key, GetOption.DEFAULT))
          .commit();
    } catch (RuntimeException e) {
      create = CompletableFuture.failedFuture(e);
    }
    create.whenCompleteAsync((response, error) -> onCreated(a, value, response, error), serial);
    return future;
  }

  /**
   * Replaces the leader's value (what {@code etcdctl elect -l} and observers see), guarded by the
   * leader key's create revision. Fails with {@link NotLeaderException} when not leader, or when the
   * key turns out to be gone (which also deposes).
   */
  public CompletableFuture<Void> proclaim(ByteSequence value) {
    Objects.requireNonNull(value, "value");
    Leadership l;
    long a;
    synchronized (this) {
      if (state != State.LEADER || !session.isAlive()) {
        return CompletableFuture.failedFuture(new NotLeaderException(logName + " is not leader (" + describe() + ")"));
      }
      l = leadership;
      a = attempt;
    }
    return kv.txn()
        .If(l.stillLeader())
        .Then(Op.put(key, value, PutOption.builder().withLeaseId(l.leaseId()).build()))
        .commit()
        .thenApplyAsync(response -> {
          if (!response.isSucceeded()) {
            onOwnKeyGone(a, "is gone (a proclaim found no key of create revision " + l.fencingToken() + ")");
            throw new NotLeaderException(logName + " is no longer leader: its key is gone");
          }
          return null;
        }, serial);
  }

  /**
   * Stops leading or campaigning: listeners hear {@code onDeposed} (if leading), a pending campaign
   * fails with {@link CancellationException}, and the key is deleted (guarded by its create
   * revision). The election may campaign again. Completes when the delete is done.
   */
  public CompletableFuture<Void> resign() {
    return stepDown(State.IDLE, "resigned");
  }

  /** Leading right now: elected, not resigned or deposed, and the session's deadline not passed. */
  public boolean isLeader() {
    synchronized (this) {
      return state == State.LEADER && session.isAlive();
    }
  }

  /** The current leadership, if {@link #isLeader()}. */
  public Optional<Leadership> leadership() {
    synchronized (this) {
      return isLeader() ? Optional.of(leadership) : Optional.empty();
    }
  }

  /** Calls {@code listener} on {@code executor}, one call at a time, in order. */
  public void addListener(LeadershipListener listener, Executor executor) {
    listeners.add(new Registration(Objects.requireNonNull(listener, "listener"),
        new SerialExecutor(Objects.requireNonNull(executor, "executor"))));
  }

  public void removeListener(LeadershipListener listener) {
    listeners.removeIf(r -> r.listener() == listener);
  }

  /** The election's key for this session, {@code <name>/<lease hex>}. */
  public ByteSequence key() {
    return key;
  }

  /**
   * The current leader of election {@code name}: a linearizable read of the oldest key under {@code
   * name/} (lowest create revision), as {@code etcdctl elect -l} reads it.
   */
  public static CompletableFuture<Optional<LeaderInfo>> leader(Client client, ByteSequence name) {
    GetOption oldest = GetOption.builder()
        .isPrefix(true)
        .withSortField(GetOption.SortTarget.CREATE)
        .withSortOrder(GetOption.SortOrder.ASCEND)
        .withLimit(1)
        .build();
    return client.getKVClient().get(RecipeKeys.prefix(name), oldest)
        .thenApply(response -> response.getKvs().stream().findFirst().map(LeaderInfo::of));
  }

  /**
   * Calls {@code listener} on {@code executor} with the current leader of {@code name} once loaded,
   * then on every change (new leader, none, a proclaimed value); resyncs after compaction and
   * reconnects. Close the observation to stop.
   */
  public static Observation observe(Client client, ByteSequence name, Consumer<Optional<LeaderInfo>> listener,
      Executor executor) {
    Observation observation = new Observation(client, name, listener, executor);
    observation.start();
    return observation;
  }

  /** Resigns if leading or campaigning (waiting at most {@link #CLOSE_WAIT}), then stops for good. */
  @Override
  public void close() {
    CompletableFuture<Void> resigned = stepDown(State.CLOSED, "closed");
    session.removeListener(dependent);
    try {
      resigned.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.info("{}: the resign did not finish within {} ms; the key goes when the session's lease does",
          logName, CLOSE_WAIT.toMillis());
    } catch (ExecutionException e) {
      LOG.info("{}: the resign failed ({}); the key goes when the session's lease does", logName,
          EtcdErrors.describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    synchronized (this) {
      return logName + " (" + describe() + ")";
    }
  }

  // ---- campaign steps (serial) ----

  private void onCreated(long a, ByteSequence value, TxnResponse response, Throwable error) {
    long revision;
    boolean proclaim;
    CompletableFuture<Leadership> failed = null;
    synchronized (this) {
      if (a != attempt || state != State.CAMPAIGNING) {
        if (response != null && (state == State.IDLE || state == State.CLOSED)) {
          // Resigned while the create was in flight: take back a key created for nothing.
          deleteOwnKey(createRevisionOf(response));
        }
        return;
      }
      if (error != null) {
        state = State.IDLE;
        failed = campaign;
        campaign = null;
        revision = 0;
        proclaim = false;
      } else if (createRevisionOf(response) == 0) {
        state = State.IDLE;
        failed = campaign;
        campaign = null;
        revision = 0;
        proclaim = false;
        error = new IllegalStateException(logName + ": the key vanished while campaigning");
      } else {
        revision = createRevisionOf(response);
        myRevision = revision;
        proclaim = !response.isSucceeded() && !value.equals(existingValue(response));
        ownKey = OwnKeyWatch.start(client, key, revision, response.getHeader().getRevision() + 1, serial,
            reason -> onOwnKeyGone(a, reason));
      }
    }
    if (failed != null) {
      LOG.info("{}: campaign failed: {}", logName, EtcdErrors.describe(error));
      failed.completeExceptionally(EtcdErrors.unwrap(error));
      return;
    }
    if (!proclaim) {
      waitForPredecessors(a, revision);
      return;
    }
    kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(revision)))
        .Then(Op.put(key, value, PutOption.builder().withLeaseId(session.leaseId()).build()))
        .commit()
        .whenCompleteAsync((proclaimed, proclaimError) -> {
          if (proclaimError == null && proclaimed.isSucceeded()) {
            waitForPredecessors(a, revision);
          } else {
            failCampaign(a, proclaimError != null ? EtcdErrors.unwrap(proclaimError)
                : new IllegalStateException(logName + ": the key vanished while campaigning"));
          }
        }, serial);
  }

  private void waitForPredecessors(long a, long revision) {
    WaitDeletes wait;
    synchronized (this) {
      if (a != attempt || state != State.CAMPAIGNING) {
        return;
      }
      wait = WaitDeletes.start(client, prefix, revision - 1, serial);
      waiting = wait;
    }
    wait.done().whenCompleteAsync((atRevision, error) -> {
      if (error == null) {
        onElected(a);
      }
    }, serial);
  }

  private void onElected(long a) {
    Leadership elected;
    CompletableFuture<Leadership> pending;
    synchronized (this) {
      if (a != attempt || state != State.CAMPAIGNING || !session.isAlive()) {
        return; // a session whose deadline passed is about to be declared lost: that fails the campaign
      }
      state = State.LEADER;
      elected = new Leadership(key, myRevision, session.leaseId());
      leadership = elected;
      pending = campaign;
      campaign = null;
      waiting = null;
      queue(r -> r.listener().onElected(elected));
    }
    LOG.info("{}: elected, fencing token {}", logName, elected.fencingToken());
    flushEvents();
    pending.complete(elected);
  }

  private void failCampaign(long a, Throwable error) {
    CompletableFuture<Leadership> failed;
    synchronized (this) {
      if (a != attempt || state != State.CAMPAIGNING) {
        return;
      }
      failed = campaign;
      campaign = null;
      state = State.IDLE;
      stopWatching();
    }
    LOG.info("{}: campaign failed: {}", logName, EtcdErrors.describe(error));
    failed.completeExceptionally(error);
  }

  // ---- losing it ----

  private void onOwnKeyGone(long a, String reason) {
    Leadership deposed = null;
    CompletableFuture<Leadership> failed = null;
    synchronized (this) {
      if (a != attempt) {
        return;
      }
      if (state == State.LEADER) {
        deposed = leadership;
        leadership = null;
      } else if (state == State.CAMPAIGNING) {
        failed = campaign;
        campaign = null;
      } else {
        return;
      }
      state = State.IDLE;
      attempt++;
      stopWatching();
      queueDeposed(deposed, "the key " + reason);
    }
    String why = "the key " + reason;
    if (deposed != null) {
      LOG.warn("{}: deposed: {}", logName, why);
      flushEvents();
    } else {
      LOG.info("{}: campaign failed: {}", logName, why);
      failed.completeExceptionally(new IllegalStateException(logName + ": campaign failed: " + why));
    }
  }

  /** The session's dependent: runs on the thread that detected the loss, before anyone else is told. */
  private void onSessionLost(SessionLost lost) {
    Leadership deposed;
    CompletableFuture<Leadership> failed;
    synchronized (this) {
      if (state == State.CLOSED || state == State.LOST) {
        return;
      }
      deposed = state == State.LEADER ? leadership : null;
      failed = campaign;
      campaign = null;
      leadership = null;
      sessionLost = lost;
      state = State.LOST;
      attempt++;
      stopWatching();
      queueDeposed(deposed, "the session was lost (" + lost.reason() + ": " + lost.detail() + ")");
    }
    if (deposed != null) {
      LOG.warn("{}: deposed: the session was lost ({})", logName, lost.reason());
      flushEvents();
    }
    if (failed != null) {
      failed.completeExceptionally(new SessionLostException("campaign in " + logName, lost));
    }
  }

  private CompletableFuture<Void> stepDown(State next, String reason) {
    Leadership deposed;
    CompletableFuture<Leadership> cancelled;
    long revision;
    synchronized (this) {
      State before = state;
      if (before == State.CLOSED || (before == State.LOST && next == State.IDLE)) {
        return CompletableFuture.completedFuture(null);
      }
      deposed = before == State.LEADER ? leadership : null;
      cancelled = campaign;
      revision = before == State.LEADER || before == State.CAMPAIGNING ? myRevision : 0;
      campaign = null;
      leadership = null;
      state = before == State.LOST ? State.CLOSED : next;
      attempt++;
      stopWatching();
      queueDeposed(deposed, reason);
    }
    if (deposed != null) {
      LOG.info("{}: {}", logName, reason);
      flushEvents();
    }
    if (cancelled != null) {
      cancelled.completeExceptionally(new CancellationException(logName + ": campaign ended: " + reason));
    }
    return revision > 0 ? deleteOwnKey(revision) : CompletableFuture.completedFuture(null);
  }

  /** Under lock (when {@code deposed} is not null): queues onDeposed for every listener. */
  private void queueDeposed(Leadership deposed, String reason) {
    if (deposed != null) {
      queue(r -> r.listener().onDeposed(deposed, reason));
    }
  }

  /**
   * Under lock: queues a call for every listener. Calls are queued in the order of the state changes
   * (which happen under the lock) and handed to the listeners' executors in that order by {@link
   * #flushEvents()}, so no listener hears "deposed" before the "elected" it ends.
   */
  private void queue(Consumer<Registration> call) {
    for (Registration r : listeners) {
      events.add(() -> r.executor().execute(() -> call.accept(r)));
    }
  }

  /** Outside the lock, after queueing: hands queued calls to the listeners' executors, in order. */
  private void flushEvents() {
    announcer.execute(() -> {
      for (Runnable event = events.poll(); event != null; event = events.poll()) {
        event.run();
      }
    });
  }

  /** Under lock. */
  private void stopWatching() {
    if (waiting != null) {
      waiting.cancel();
      waiting = null;
    }
    if (ownKey != null) {
      ownKey.cancel();
      ownKey = null;
    }
  }

  private CompletableFuture<Void> deleteOwnKey(long createRevision) {
    try {
      return kv.txn()
          .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))
          .Then(Op.delete(key, DeleteOption.DEFAULT))
          .commit()
          .thenApply(response -> null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private String describe() {
    return switch (state) {
      case IDLE -> "idle";
      case CAMPAIGNING -> "campaigning";
      case LEADER -> session.isAlive() ? "leader, token " + leadership.fencingToken() : "leader, session unconfirmed";
      case LOST -> "session lost";
      case CLOSED -> "closed";
    };
  }

  private static long createRevisionOf(TxnResponse response) {
    if (response.isSucceeded()) {
      return response.getHeader().getRevision();
    }
    List<KeyValue> kvs = response.getGetResponses().get(0).getKvs();
    return kvs.isEmpty() ? 0 : kvs.get(0).getCreateRevision();
  }

  private static ByteSequence existingValue(TxnResponse response) {
    List<KeyValue> kvs = response.getGetResponses().get(0).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0).getValue();
  }

  private record Registration(LeadershipListener listener, Executor executor) {}
}
