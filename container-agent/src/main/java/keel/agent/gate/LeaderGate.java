package keel.agent.gate;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import keel.client.election.LeaderElection;
import keel.client.election.Leadership;
import keel.client.election.LeadershipListener;
import keel.client.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the gated process on this node while, and only while, this node leads the election.
 *
 * <p>The fence is by construction, not by luck. The session's lease is alive on the cluster until
 * at least {@link Session#aliveUntilNanos()} (the send time of the last answered keep-alive plus
 * the TTL), and no other node can win before that lease expires. So this node keeps two local
 * deadlines derived from it:
 * <ul>
 *   <li>hard = aliveUntil - margin (a tenth of the TTL, at least 250 ms): the process is dead
 *       (SIGKILL) by then;</li>
 *   <li>soft = hard - min(stop grace, TTL/4): when leadership has not been confirmed by then, the
 *       process gets SIGTERM, and SIGKILL at the hard deadline at the latest.</li>
 * </ul>
 * A {@link FenceWatchdog} thread parks until the soft deadline and moves it on each confirmation.
 * After a pause (SIGSTOP of the whole node) that thread wakes as soon as the JVM runs again, finds
 * both deadlines long past and kills the stale process before anything else happens. The full
 * {@code --stop-grace} applies when the node gives leadership up itself (shutdown, resign).
 *
 * <p>Lock order: {@code lock} only; process start/stop runs on the gate thread or the watchdog
 * thread without holding it.
 */
public final class LeaderGate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderGate.class);

  private final String node;
  private final Client client;
  private final ByteSequence electionName;
  private final ByteSequence value;
  private final GatedProcess process;
  private final Duration stopGrace;
  private final ExecutorService gateThread;
  private final FenceWatchdog watchdog;

  private final Object lock = new Object();
  private Session session; // guarded by lock
  private LeaderElection election; // guarded by lock
  private Leadership leadership; // guarded by lock; non-null while this node holds a fenced leadership
  private boolean closed; // guarded by lock

  public LeaderGate(String node, Client client, ByteSequence electionName, ByteSequence value,
      GatedProcess process, Duration stopGrace) {
    this.node = node;
    this.client = client;
    this.electionName = electionName;
    this.value = value;
    this.process = process;
    this.stopGrace = stopGrace;
    this.gateThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "keel-" + node + "-gate");
      t.setDaemon(true);
      return t;
    });
    this.watchdog = new FenceWatchdog(node, this::softDeadlineNanos, this::onFenceExpired);
    process.onKeepsFailing(this::handOver);
  }

  /** Campaigns under {@code session} (a new one after each loss); returns at once. */
  public void campaign(Session session) {
    LeaderElection next;
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (election != null) {
        election.close();
      }
      this.session = session;
      next = new LeaderElection(client, session, electionName);
      election = next;
      next.addListener(new LeadershipListener() {
        @Override
        public void onElected(Leadership l) {
          elected(session, l);
        }

        @Override
        public void onDeposed(Leadership l, String reason) {
          deposed(l, reason);
        }
      }, gateThread);
    }
    next.campaign(value).whenComplete((l, error) -> {
      if (error != null) {
        LOG.debug("{}: campaign ended without leadership: {}", node, error.toString());
      }
    });
  }

  /** True while this node leads and its leadership is confirmed: what the local proxy checks before relaying. */
  public boolean holdsValidLeadership() {
    synchronized (lock) {
      return leadership != null && System.nanoTime() - hardDeadline(session) < 0;
    }
  }

  public boolean isProcessRunning() {
    return process.isRunning();
  }

  private void elected(Session s, Leadership l) {
    synchronized (lock) {
      if (closed || s != session || !s.isAlive() || System.nanoTime() - hardDeadline(s) >= 0) {
        LOG.info("{}: elected with fencing token {} but the session lapsed first; not starting", node,
            l.fencingToken());
        return;
      }
      leadership = l;
    }
    watchdog.poke();
    LOG.info("{}: leads the election (fencing token {}): starting the gated process", node, l.fencingToken());
    process.start();
  }

  private void deposed(Leadership l, String reason) {
    Session s;
    synchronized (lock) {
      if (leadership == null || leadership.fencingToken() != l.fencingToken()) {
        return;
      }
      leadership = null;
      s = session;
    }
    watchdog.poke();
    LOG.warn("{}: lost the election (fencing token {}): {}; stopping the gated process", node,
        l.fencingToken(), reason);
    process.stop(hardDeadline(s)); // the full grace, unless the lease's deadline comes first
  }

  /** The watchdog's action: leadership could not be confirmed before the soft deadline. */
  private void onFenceExpired() {
    Session s;
    synchronized (lock) {
      if (leadership == null) {
        return;
      }
      leadership = null;
      s = session;
    }
    long hard = hardDeadline(s);
    if (System.nanoTime() - hard >= 0) {
      // A node resumed after a pause: the stale process dies first, before any logging.
      process.kill();
      LOG.warn("{}: leadership lapsed unconfirmed (paused or cut off from the cluster):"
          + " the gated process was killed; campaigning again under a new session", node);
    } else {
      LOG.warn("{}: leadership not confirmed in time (cluster unreachable?): stopping the gated"
          + " process before the lease can expire; campaigning again under a new session", node);
      process.stop(hard);
    }
    // Give the lease up: the others need not wait for it to expire, and this node campaigns anew.
    s.close();
  }

  /**
   * The gated process cannot run here (missing command, crash loop): give leadership up so that a
   * node where it can run takes over. This node campaigns again under a new session, behind the
   * others; if it is the only one left it tries again.
   */
  private void handOver() {
    Session s;
    synchronized (lock) {
      if (leadership == null) {
        return;
      }
      s = session;
    }
    LOG.error("{}: the gated process cannot run on this node: handing leadership to another node", node);
    s.close();
  }

  private long softDeadlineNanos() {
    synchronized (lock) {
      if (leadership == null) {
        return Long.MAX_VALUE;
      }
      long ttl = session.ttl().toNanos();
      return hardDeadline(session) - Math.min(stopGrace.toNanos(), ttl / 4);
    }
  }

  private static long hardDeadline(Session s) {
    long ttl = s.ttl().toNanos();
    long margin = Math.max(TimeUnit.MILLISECONDS.toNanos(250), ttl / 10);
    return s.aliveUntilNanos() - margin;
  }

  /** Stops the process with the full grace, then resigns. */
  @Override
  public void close() {
    LeaderElection e;
    synchronized (lock) {
      closed = true;
      leadership = null;
      e = election;
    }
    watchdog.close();
    process.close();
    if (e != null) {
      e.close();
    }
    gateThread.shutdown();
  }
}
