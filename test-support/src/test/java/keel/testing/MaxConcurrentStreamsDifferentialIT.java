package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import keel.testing.EtcdctlDifferentialIT.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * etcd's {@code --max-concurrent-streams}, on etcd 3.4 and Keel started with 1: on one client
 * connection, a range sent while a watch stream is open waits (the client's HTTP/2 keeps it until
 * a stream closes). On Keel it is answered once the client cancels the watch; etcd 3.4 keeps the
 * cancelled watch's stream counted (the range was not answered within 10 s), so that half is
 * Keel's alone.
 */
@Timeout(value = 120)
class MaxConcurrentStreamsDifferentialIT {
  @Test
  void aStreamOverTheLimitWaitsForOneToEnd() throws Exception {
    for (Target target : new Target[] {EtcdctlDifferentialIT.KEEL, EtcdctlDifferentialIT.ETCD}) {
      try (ClusterProcesses cluster = ClusterProcesses.builder(target.command()).size(1)
          .clusterName(target.name() + "-streams-" + EtcdctlDifferentialIT.uniquePrefix().substring(3, 8))
          .extraFlags("--max-concurrent-streams", "1").start()) {
        MemberAddress a = cluster.member(0).address();
        ManagedChannel channel = ManagedChannelBuilder.forAddress(a.host(), a.clientPort()).usePlaintext().build();
        try {
          CompletableFuture<WatchResponse> created = new CompletableFuture<>();
          ClientCallStreamObserver<WatchRequest> watch = (ClientCallStreamObserver<WatchRequest>)
              WatchGrpc.newStub(channel).watch(firstAnswer(created));
          watch.onNext(WatchRequest.newBuilder().setCreateRequest(
              WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))).build());
          assertThat(created.get(30, TimeUnit.SECONDS).getCreated()).as("%s: the watch is open", target.name()).isTrue();

          CompletableFuture<RangeResponse> range = new CompletableFuture<>();
          KVGrpc.newStub(channel).range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build(),
              firstAnswer(range));
          assertThatThrownBy(() -> range.get(1, TimeUnit.SECONDS)).as("%s: the range waits for a stream",
              target.name()).isInstanceOf(TimeoutException.class);
          if (target == EtcdctlDifferentialIT.KEEL) {
            // etcd 3.4 keeps a cancelled watch's stream counted (its range was not answered in 10 s)
            watch.cancel("the test is done with it", null);
            assertThat(range.get(Deadlines.scaled(Duration.ofSeconds(10)).toMillis(), TimeUnit.MILLISECONDS)
                .getCount()).as("keel: the range answered once the watch ended").isZero();
          }
        } finally {
          channel.shutdownNow();
        }
      }
    }
  }

  /** An observer completing {@code answer} with a call's first message, or its error. */
  private static <T> StreamObserver<T> firstAnswer(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
