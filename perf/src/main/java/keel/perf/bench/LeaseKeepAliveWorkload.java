package keel.perf.bench;

import io.etcd.jetcd.Client;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code lease-keepalive}: each client grants one lease before the run, then renews it once per
 * request (a keep-alive stream opened, one request and its answer, closed), as etcd's {@code
 * benchmark lease-keepalive} does. The leases are revoked after the run.
 */
final class LeaseKeepAliveWorkload extends ClosedLoopWorkload {
  /** etcd's benchmark tool's TTL: long enough that no lease expires between two renewals. */
  static final long TTL_SECONDS = 100;
  private static final long SETUP_SECONDS = 30;

  private long[] leases;

  LeaseKeepAliveWorkload(Load load) {
    super(load);
  }

  @Override
  public String name() {
    return "lease-keepalive";
  }

  @Override
  public String settings() {
    return "one lease per client, TTL " + TTL_SECONDS + " s";
  }

  @Override
  public void prepare(Connections conns) throws InterruptedException {
    List<CompletableFuture<Long>> grants = new ArrayList<>();
    for (int c = 0; c < load.clients(); c++) {
      grants.add(conns.forClient(c).getLeaseClient().grant(TTL_SECONDS).thenApply(r -> r.getID()));
    }
    try {
      CompletableFuture.allOf(grants.toArray(CompletableFuture[]::new)).get(SETUP_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new BenchException("could not grant the " + load.clients() + " leases to keep alive within "
          + SETUP_SECONDS + " s (" + Stats.describe(e) + "); is the cluster healthy?", e);
    }
    leases = grants.stream().mapToLong(CompletableFuture::join).toArray();
  }

  @Override
  Request send(Client client, int clientIndex, long n) {
    return new Request("keepalive", client.getLeaseClient().keepAliveOnce(leases[clientIndex]));
  }

  @Override
  public void cleanUp(Connections conns) {
    if (leases == null) {
      return;
    }
    List<CompletableFuture<?>> revokes = new ArrayList<>();
    for (int c = 0; c < leases.length; c++) {
      revokes.add(conns.forClient(c).getLeaseClient().revoke(leases[c]));
    }
    try {
      CompletableFuture.allOf(revokes.toArray(CompletableFuture[]::new)).get(SETUP_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // they expire on their own after the TTL
      System.err.println("keel bench: could not revoke every lease (" + Stats.describe(e)
          + "); the rest expire within " + TTL_SECONDS + " s");
    }
  }
}
