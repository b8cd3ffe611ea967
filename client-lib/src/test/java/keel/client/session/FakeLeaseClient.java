package keel.client.session;

import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseRevokeResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import keel.client.support.UnsupportedClient;

/**
 * A jetcd client whose only working part is a scripted lease service: each keep-alive is answered
 * by {@link #answers} (a function of the attempt number), so a test decides what the "cluster" says.
 */
final class FakeLeaseClient extends UnsupportedClient {
  static final long LEASE_ID = 0x694d7a1b2cL;

  final AtomicInteger keepAlives = new AtomicInteger();
  final AtomicInteger revokes = new AtomicInteger();
  final List<CompletableFuture<LeaseKeepAliveResponse>> pending = new CopyOnWriteArrayList<>();
  volatile Function<Integer, CompletableFuture<LeaseKeepAliveResponse>> answers = n -> ttl(1);
  volatile CompletableFuture<LeaseGrantResponse> grant;
  private final Lease lease = new FakeLease();

  FakeLeaseClient(long grantedTtl) {
    grant = CompletableFuture.completedFuture(new LeaseGrantResponse(
        io.etcd.jetcd.api.LeaseGrantResponse.newBuilder().setID(LEASE_ID).setTTL(grantedTtl).build()));
  }

  static CompletableFuture<LeaseKeepAliveResponse> ttl(long ttl) {
    return CompletableFuture.completedFuture(keepAliveResponse(ttl));
  }

  static LeaseKeepAliveResponse keepAliveResponse(long ttl) {
    return new LeaseKeepAliveResponse(
        io.etcd.jetcd.api.LeaseKeepAliveResponse.newBuilder().setID(LEASE_ID).setTTL(ttl).build());
  }

  /** Keep-alives that are never answered until the test completes them (see {@link #pending}). */
  CompletableFuture<LeaseKeepAliveResponse> hang() {
    CompletableFuture<LeaseKeepAliveResponse> future = new CompletableFuture<>();
    pending.add(future);
    return future;
  }

  private final class FakeLease implements Lease {
    @Override
    public CompletableFuture<LeaseGrantResponse> grant(long ttl) {
      return grant;
    }

    @Override
    public CompletableFuture<LeaseGrantResponse> grant(long ttl, long timeout, TimeUnit unit) {
      return grant;
    }

    @Override
    public CompletableFuture<LeaseRevokeResponse> revoke(long leaseId) {
      revokes.incrementAndGet();
      return CompletableFuture.completedFuture(
          new LeaseRevokeResponse(io.etcd.jetcd.api.LeaseRevokeResponse.getDefaultInstance()));
    }

    @Override
    public CompletableFuture<LeaseKeepAliveResponse> keepAliveOnce(long leaseId) {
      return answers.apply(keepAlives.incrementAndGet());
    }

    @Override
    public CompletableFuture<LeaseTimeToLiveResponse> timeToLive(long leaseId, LeaseOption option) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CloseableClient keepAlive(long leaseId, StreamObserver<LeaseKeepAliveResponse> observer) {
      throw new UnsupportedOperationException("Session must not use jetcd's keepAlive observer");
    }
  }

  @Override
  public Lease getLeaseClient() {
    return lease;
  }
}
