package keel.torture.workload;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Leases under faults: processes grant a lease, attach a key to it, keep it alive for a random
 * while with keep-alives, then let it lapse. Each lease's refresh times are recorded so that the
 * lease checker can tell, from when its key's deletion was seen, whether it expired early (before
 * the last answered refresh's send time plus the TTL) or lived on too long.
 */
public final class LeaseWorkload implements AutoCloseable {
  public static final String PREFIX = "lease/";

  private final Clients clients;
  private final int processes;
  private final long ttlSeconds;
  private final List<LeaseRecord> records = new ArrayList<>();
  private ClientThreads threads;
  private volatile boolean stopping;

  public LeaseWorkload(Clients clients, int processes, long ttlSeconds) {
    this.clients = clients;
    this.processes = processes;
    this.ttlSeconds = ttlSeconds;
  }

  public void start(long seed) {
    threads = new ClientThreads("lease", processes, seed, this::run);
  }

  private void run(int process, SplittableRandom random) {
    int round = 0;
    while (!stopping) {
      Client client = clients.member((process + round++) % clients.size());
      try {
        oneLease(client.getLeaseClient(), client, random);
      } catch (Exception e) {
        LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // the member is down: next one
      }
    }
  }

  private void oneLease(Lease leases, Client client, SplittableRandom random) throws Exception {
    long sent = System.nanoTime();
    var grant = leases.grant(ttlSeconds).get(2, TimeUnit.SECONDS);
    long answered = System.nanoTime();
    long id = grant.getID();
    String key = PREFIX + Long.toHexString(id);
    boolean written;
    try {
      client.getKVClient().put(RegisterWorkload.bytes(key), RegisterWorkload.bytes("x"),
          PutOption.builder().withLeaseId(id).build()).get(2, TimeUnit.SECONDS);
      written = true;
    } catch (Exception e) {
      written = false;
    }
    long lost = 0;
    long unanswered = 0;
    long keepUntil = System.nanoTime() + Duration.ofMillis(random.nextInt(4000)).toNanos();
    while (!stopping && System.nanoTime() < keepUntil) {
      LockSupport.parkNanos(Duration.ofMillis(400).toNanos());
      long s = System.nanoTime();
      try {
        LeaseKeepAliveResponse r = leases.keepAliveOnce(id).get(1, TimeUnit.SECONDS);
        if (r.getTTL() > 0) {
          sent = s;
          answered = System.nanoTime();
          unanswered = 0;
        } else {
          lost = System.nanoTime();
          break;
        }
      } catch (Exception e) {
        String text = String.valueOf(e.getMessage());
        if (text.contains("requested lease not found")) {
          lost = System.nanoTime();
          break;
        }
        unanswered = s; // no refresh known, but it may still arrive; keep trying until the period is over
      }
    }
    synchronized (records) {
      records.add(new LeaseRecord(id, key, grant.getTTL(), written, sent, answered, lost, unanswered));
    }
  }

  public List<LeaseRecord> records() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    if (threads != null) {
      threads.join(10_000);
    }
  }
}
