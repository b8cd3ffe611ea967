package keel.client.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import keel.client.election.ElectionState.Ended;
import keel.client.election.ElectionState.Phase;
import keel.client.session.Session;
import keel.client.session.SessionListener;
import keel.client.session.SessionLost;
import keel.client.session.SessionLostException;
import keel.client.support.EtcdErrors;
import keel.client.support.EventThreads;
import keel.client.support.Listeners;
import keel.client.support.RecipeContender;
import keel.client.support.RecipeKeys;
import keel.client.support.SerialExecutor;
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
 * deleted, watching only the newest one ahead (the queue and its watches are {@link RecipeContender}'s,
 * shared with the lock). The oldest key leads; its create revision is the fencing token. The states
 * and the moves between them are {@link ElectionState}'s.
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

  private final Session session;
  private final SerialExecutor serial = new SerialExecutor(EventThreads.shared());
  private final RecipeContender contender;
  private final String logName;
  /**
   * Calls are queued under the lock in the order of the state changes and flushed after it, so no
   * listener hears "deposed" before the "elected" it ends.
   */
  private final Listeners<LeadershipListener> listeners = new Listeners<>();
  private final SessionListener dependent = this::onSessionLost;
  private final ElectionState state = new ElectionState(); // guarded by this

  /** An election {@code name} (keys {@code name/<lease hex>}) for {@code session}'s holder. */
  public LeaderElection(Client client, Session session, ByteSequence name) {
    Objects.requireNonNull(client, "client");
    this.session = Objects.requireNonNull(session, "session");
    this.contender = new RecipeContender(client, session.leaseId(), RecipeKeys.requireName(name, "an election"),
        serial);
    this.logName = "election " + contender.key().toString(StandardCharsets.UTF_8);
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
      switch (state.phase()) {
        case CLOSED:
          return CompletableFuture.failedFuture(new IllegalStateException(logName + " is closed"));
        case LOST:
          return CompletableFuture.failedFuture(
              new SessionLostException("campaign in " + logName, state.sessionLost()));
        case LEADER:
          return CompletableFuture.completedFuture(state.leadership());
        case CAMPAIGNING:
          return state.campaign().copy();
        case IDLE:
          break;
      }
      a = state.begin();
      future = state.campaign().copy();
    }
    LOG.info("{}: campaigning", logName);
    CompletableFuture<TxnResponse> create;
    try {
      create = contender.create(value);
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
      if (state.phase() != Phase.LEADER || !session.isAlive()) {
        return CompletableFuture.failedFuture(new NotLeaderException(logName + " is not leader (" + describe() + ")"));
      }
      l = state.leadership();
      a = state.attempt();
    }
    return contender.replace(l.fencingToken(), value) // l.stillLeader(), with the same lease
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
    return stepDown(Phase.IDLE, "resigned");
  }

  /** Leading right now: elected, not resigned or deposed, and the session's deadline not passed. */
  public boolean isLeader() {
    synchronized (this) {
      return state.phase() == Phase.LEADER && session.isAlive();
    }
  }

  /** The current leadership, if {@link #isLeader()}. */
  public Optional<Leadership> leadership() {
    synchronized (this) {
      return isLeader() ? Optional.of(state.leadership()) : Optional.empty();
    }
  }

  /** Calls {@code listener} on {@code executor}, one call at a time, in order. */
  public void addListener(LeadershipListener listener, Executor executor) {
    listeners.add(listener, executor);
  }

  public void removeListener(LeadershipListener listener) {
    listeners.remove(listener);
  }

  /** The election's key for this session, {@code <name>/<lease hex>}. */
  public ByteSequence key() {
    return contender.key();
  }

  /**
   * The current leader of election {@code name}: a linearizable read of the oldest key under {@code
   * name/} (lowest create revision), as {@code etcdctl elect -l} reads it.
   */
  public static CompletableFuture<Optional<LeaderInfo>> leader(Client client, ByteSequence name) {
    return client.getKVClient().get(RecipeKeys.prefix(name), RecipeContender.OLDEST)
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
    CompletableFuture<Void> resigned = stepDown(Phase.CLOSED, "closed");
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
    long revision = error == null ? RecipeContender.createRevision(response) : 0;
    Throwable failure = error != null ? EtcdErrors.unwrap(error) : revision == 0 ? vanished() : null;
    boolean proclaim = false;
    CompletableFuture<Leadership> failed = null;
    synchronized (this) {
      if (!state.isCampaigning(a)) {
        Phase now = state.phase();
        if (response != null && (now == Phase.IDLE || now == Phase.CLOSED)) {
          contender.delete(revision); // resigned while the create was in flight: take back a key created for nothing
        }
        return;
      }
      if (failure != null) {
        failed = state.fail();
      } else {
        state.created(revision);
        proclaim = !response.isSucceeded() && !value.equals(RecipeContender.existingValue(response));
        contender.watchOwnKey(revision, response.getHeader().getRevision() + 1, reason -> onOwnKeyGone(a, reason));
      }
    }
    if (failed != null) {
      LOG.info("{}: campaign failed: {}", logName, EtcdErrors.describe(failure));
      failed.completeExceptionally(failure);
    } else if (!proclaim) {
      waitForPredecessors(a, revision);
    } else { // this session's key from before, with another value: proclaim ours first
      contender.replace(revision, value).whenCompleteAsync((proclaimed, proclaimError) -> {
        if (proclaimError == null && proclaimed.isSucceeded()) {
          waitForPredecessors(a, revision);
        } else {
          failCampaign(a, proclaimError != null ? EtcdErrors.unwrap(proclaimError) : vanished());
        }
      }, serial);
    }
  }

  private void waitForPredecessors(long a, long revision) {
    CompletableFuture<Long> older;
    synchronized (this) {
      if (!state.isCampaigning(a)) {
        return;
      }
      older = contender.awaitOlder(revision);
    }
    older.whenCompleteAsync((atRevision, error) -> {
      if (error == null) {
        onElected(a);
      }
    }, serial);
  }

  private void onElected(long a) {
    Leadership elected;
    CompletableFuture<Leadership> pending;
    synchronized (this) {
      if (!state.isCampaigning(a) || !session.isAlive()) {
        return; // a session whose deadline passed is about to be declared lost: that fails the campaign
      }
      pending = state.elect(contender.key(), session.leaseId());
      elected = state.leadership();
      listeners.queue(l -> l.onElected(elected));
    }
    LOG.info("{}: elected, fencing token {}", logName, elected.fencingToken());
    listeners.flush();
    pending.complete(elected);
  }

  private void failCampaign(long a, Throwable error) {
    CompletableFuture<Leadership> failed;
    synchronized (this) {
      if (!state.isCampaigning(a)) {
        return;
      }
      failed = state.fail();
      contender.stop();
    }
    LOG.info("{}: campaign failed: {}", logName, EtcdErrors.describe(error));
    failed.completeExceptionally(error);
  }

  // ---- losing it ----

  private void onOwnKeyGone(long a, String reason) {
    String why = "the key " + reason;
    Ended ended;
    synchronized (this) {
      Phase now = state.phase();
      if (a != state.attempt() || (now != Phase.LEADER && now != Phase.CAMPAIGNING)) {
        return;
      }
      ended = ended(state.end(Phase.IDLE), why);
    }
    if (ended.deposed() != null) {
      LOG.warn("{}: deposed: {}", logName, why);
      listeners.flush();
    } else {
      LOG.info("{}: campaign failed: {}", logName, why);
      ended.campaign().completeExceptionally(new IllegalStateException(logName + ": campaign failed: " + why));
    }
  }

  /** The session's dependent: runs on the thread that detected the loss, before anyone else is told. */
  private void onSessionLost(SessionLost lost) {
    Ended ended;
    synchronized (this) {
      Phase now = state.phase();
      if (now == Phase.CLOSED || now == Phase.LOST) {
        return;
      }
      ended = ended(state.lose(lost), "the session was lost (" + lost.reason() + ": " + lost.detail() + ")");
    }
    if (ended.deposed() != null) {
      LOG.warn("{}: deposed: the session was lost ({})", logName, lost.reason());
      listeners.flush();
    }
    if (ended.campaign() != null) {
      ended.campaign().completeExceptionally(new SessionLostException("campaign in " + logName, lost));
    }
  }

  private CompletableFuture<Void> stepDown(Phase next, String reason) {
    Ended ended;
    synchronized (this) {
      Phase now = state.phase();
      if (now == Phase.CLOSED || (now == Phase.LOST && next == Phase.IDLE)) {
        return CompletableFuture.completedFuture(null);
      }
      ended = ended(state.end(now == Phase.LOST ? Phase.CLOSED : next), reason);
    }
    if (ended.deposed() != null) {
      LOG.info("{}: {}", logName, reason);
      listeners.flush();
    }
    if (ended.campaign() != null) {
      ended.campaign().completeExceptionally(new CancellationException(logName + ": campaign ended: " + reason));
    }
    return ended.ownKey() > 0 ? contender.delete(ended.ownKey()) : CompletableFuture.completedFuture(null);
  }

  /**
   * Under lock, after {@link ElectionState#end}: stops the wait for the keys ahead and the own-key
   * watch, and queues {@code onDeposed} if a leadership ended; the caller tells the rest outside it.
   */
  private Ended ended(Ended ended, String reason) {
    contender.stop();
    if (ended.deposed() != null) {
      listeners.queue(l -> l.onDeposed(ended.deposed(), reason));
    }
    return ended;
  }

  private IllegalStateException vanished() {
    return new IllegalStateException(logName + ": the key vanished while campaigning");
  }

  /** Under lock. */
  private String describe() {
    return state.describe(session.isAlive());
  }
}
