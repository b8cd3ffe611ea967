package keel.torture.workload;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import keel.client.election.LeaderElection;
import keel.client.election.Leadership;
import keel.client.session.Session;

/**
 * Candidates campaign in one election with client-lib's {@link LeaderElection}; a leader writes to
 * the {@link #FENCE} key under its fencing guard for a random while, then resigns. The fencing
 * checker then reads the committed history of {@link #FENCE}: tokens must never go backwards, so
 * no deposed leader's write landed after its successor's.
 */
public final class ElectionWorkload implements AutoCloseable {
  public static final String ELECTION = "election/torture";
  public static final String FENCE = "fence";

  private final Clients clients;
  private final int candidates;
  private final Duration sessionTtl;
  private final List<FencedWrite> writes = new ArrayList<>();
  private ClientThreads threads;
  private volatile boolean stopping;
  private int terms;

  public ElectionWorkload(Clients clients, int candidates, Duration sessionTtl) {
    this.clients = clients;
    this.candidates = candidates;
    this.sessionTtl = sessionTtl;
  }

  public void start(long seed) {
    threads = new ClientThreads("candidate", candidates, seed, this::run);
  }

  private void run(int candidate, SplittableRandom random) {
    Client client = clients.member(candidate % clients.size());
    while (!stopping) {
      try (Session session = Session.builder(client).ttl(sessionTtl).open();
          LeaderElection election = new LeaderElection(client, session, RegisterWorkload.bytes(ELECTION))) {
        Leadership leadership = election.campaign(RegisterWorkload.bytes("candidate-" + candidate)).get(20, TimeUnit.SECONDS);
        synchronized (writes) {
          terms++;
        }
        lead(client, election, leadership, random);
        election.resign().get(2, TimeUnit.SECONDS);
      } catch (Exception e) {
        LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // lost, timed out or member down: campaign again
      }
    }
  }

  private void lead(Client client, LeaderElection election, Leadership leadership, SplittableRandom random) {
    long until = System.nanoTime() + Duration.ofMillis(300 + random.nextInt(1500)).toNanos();
    long seq = 0;
    ByteSequence fence = RegisterWorkload.bytes(FENCE);
    while (!stopping && System.nanoTime() < until && election.isLeader()) {
      long token = leadership.fencingToken();
      String value = token + ":" + (++seq);
      long invoked = System.nanoTime();
      try {
        TxnResponse r = client.getKVClient().txn().If(leadership.stillLeader())
            .Then(io.etcd.jetcd.op.Op.put(fence, RegisterWorkload.bytes(value), PutOption.DEFAULT))
            .commit().get(2, TimeUnit.SECONDS);
        record(new FencedWrite(token, seq, invoked, System.nanoTime(), r.isSucceeded(), r.getHeader().getRevision()));
        if (!r.isSucceeded()) {
          return;
        }
      } catch (Exception e) {
        record(new FencedWrite(token, seq, invoked, 0, false, 0));
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  private void record(FencedWrite w) {
    synchronized (writes) {
      writes.add(w);
    }
  }

  public List<FencedWrite> writes() {
    synchronized (writes) {
      return List.copyOf(writes);
    }
  }

  public int terms() {
    synchronized (writes) {
      return terms;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    if (threads != null) {
      threads.join(25_000);
    }
  }
}
