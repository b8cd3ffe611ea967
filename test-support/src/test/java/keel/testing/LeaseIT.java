package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Leases on a 3-member Keel of processes: expiry is decided by the leader and reaches every member
 * through the log; keep-alives on any member keep a lease alive, across a kill -9 of the leader.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LeaseIT {
  @Test
  void aKeyOnATwoSecondLeaseGoesTwoToThreeSecondsAfterKeepAlivesStop() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).start();
         Client client = Client.builder().endpoints(keel.clientUrls().toArray(String[]::new)).build()) {
      ByteSequence key = KeelCluster.bytes("lease-it/short");
      long lease = putOnNewLease(client, key, 2);

      // Kept alive for longer than its TTL: every answer renews it to 2 s.
      BlockingQueue<LeaseKeepAliveResponse> answers = new LinkedBlockingQueue<>();
      CloseableClient keepAlive = client.getLeaseClient().keepAlive(lease, observer(answers));
      long lastAnswer;
      try {
        for (int i = 0; i < 6; i++) {
          LeaseKeepAliveResponse answer = answers.poll(Deadlines.scaled(Duration.ofSeconds(5)).toMillis(), TimeUnit.MILLISECONDS);
          assertThat(answer).as("keep-alive answer %d", i).isNotNull();
          assertThat(answer.getTTL()).isEqualTo(2);
        }
      } finally {
        // Stopped right after an answer: jetcd sends the next request only a third of the TTL later.
        lastAnswer = System.nanoTime();
        keepAlive.close();
      }
      assertThat(client.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs()).as("alive after 4 s").hasSize(1);

      Deadlines.await("key of the expired lease deleted", Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> client.getKVClient().get(key).get(5, TimeUnit.SECONDS).getKvs().isEmpty());
      long goneMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastAnswer);
      System.out.printf("LeaseIT: the key on a 2 s lease was deleted %d ms after the last keep-alive answer%n",
          goneMillis);
      assertThat(goneMillis).as("not before the TTL").isGreaterThanOrEqualTo(1_900);
      assertThat(goneMillis).as("soon after the TTL").isLessThanOrEqualTo(Deadlines.scaled(Duration.ofSeconds(3)).toMillis());
      assertThat(client.getLeaseClient().timeToLive(lease, io.etcd.jetcd.options.LeaseOption.DEFAULT)
          .get(10, TimeUnit.SECONDS).getTTL()).as("revoked lease").isEqualTo(-1);
    }
  }

  @Test
  void keepAlivesKeepAKeyThroughAKillOfTheLeader() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).start()) {
      List<URI> endpoints = keel.clientUrls().stream().map(URI::create).toList();
      int leader = Leaders.await(endpoints);
      List<MemberProcess> survivors = allBut(keel, leader);
      ByteSequence key = KeelCluster.bytes("lease-it/kept");
      // TTL 10 s, not 2: jetcd gives a keep-alive up for good when no answer comes within one TTL
      // of the last, and it renews only every TTL/3; with the 1-2 s election after kill -9 on top,
      // a 5 s lease is already marginal for the client (as it would be against etcd). The key is
      // watched for 25 s: were keep-alives not answered after the failover, the new leader would
      // expire the lease (about 11 s after it takes over) before the end.
      try (Client client = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build()) {
        long lease = putOnNewLease(client, key, 10);
        long start = System.nanoTime();
        BlockingQueue<LeaseKeepAliveResponse> answers = new LinkedBlockingQueue<>();
        List<Long> answerTimes = new ArrayList<>();
        long killedAt = -1;
        int checks = 0;
        try (CloseableClient keepAlive = client.getLeaseClient().keepAlive(lease, observer(answers))) {
          long end = start + TimeUnit.SECONDS.toNanos(25);
          while (System.nanoTime() < end) {
            // paces the loop: at most 250 ms per round, sooner when an answer arrives
            LeaseKeepAliveResponse answer = answers.poll(250, TimeUnit.MILLISECONDS);
            if (answer != null) {
              assertThat(answer.getTTL()).as("keep-alive answer").isEqualTo(10);
              answerTimes.add(System.nanoTime());
            }
            if (killedAt < 0 && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(5)) {
              keel.member(leader).kill9();
              killedAt = System.nanoTime();
            }
            for (MemberProcess m : survivors) {
              assertThat(serializableGet(m, key)).as("key on %s at %d ms", m.name(),
                  TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).hasSize(1);
              checks++;
            }
          }
        }
        long longestGap = 0;
        long kill = killedAt;
        long answersAfterKill = answerTimes.stream().filter(t -> t > kill).count();
        long firstAfterKill = answerTimes.stream().filter(t -> t > kill).findFirst().orElse(kill) - kill;
        for (int i = 1; i < answerTimes.size(); i++) {
          longestGap = Math.max(longestGap, answerTimes.get(i) - answerTimes.get(i - 1));
        }
        System.out.printf("LeaseIT: a 10 s lease kept alive 25 s through kill -9 of leader %s: %d keep-alive answers "
                + "(%d after the kill, the first %d ms after it), longest gap %d ms, key present in all %d checks on the survivors%n",
            keel.member(leader).name(), answerTimes.size(), answersAfterKill,
            TimeUnit.NANOSECONDS.toMillis(firstAfterKill), TimeUnit.NANOSECONDS.toMillis(longestGap), checks);
        assertThat(killedAt).isPositive();
        assertThat(answersAfterKill).as("keep-alives answered after the kill").isGreaterThan(3);

        // The new leader expires it once keep-alives stop.
        long stopped = System.nanoTime();
        Deadlines.await("key deleted by the new leader", Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> survivors.stream().allMatch(m -> serializableGet(m, key).isEmpty()));
        System.out.printf("LeaseIT: after keep-alives stopped the new leader deleted the key in %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped));
      }
    }
  }

  /**
   * The case exactly: a key on a 2 s lease whose owner keeps sending keep-alives (one every
   * 500 ms, each on its own, whatever became of the last) survives 20 s that include kill -9 of the
   * leader. No lease can expire while there is no leader, and the new leader restarts every lease's
   * clock when it takes over, so only the owner's persistence matters (jetcd's keep-alive stream
   * gives up after one TTL without answer: see the 10 s test above).
   */
  @Test
  void aTwoSecondLeaseKeptAliveByItsOwnerSurvivesAKillOfTheLeader() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).start()) {
      List<URI> endpoints = keel.clientUrls().stream().map(URI::create).toList();
      int leader = Leaders.await(endpoints);
      List<MemberProcess> survivors = allBut(keel, leader);
      ByteSequence key = KeelCluster.bytes("lease-it/two-seconds");
      try (Client client = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build()) {
        long lease = putOnNewLease(client, key, 2);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(20);
        long nextKeepAlive = start;
        long killedAt = -1;
        int checks = 0;
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger expiredAnswers = new java.util.concurrent.atomic.AtomicInteger();
        while (System.nanoTime() < end) {
          if (System.nanoTime() >= nextKeepAlive) {
            client.getLeaseClient().keepAliveOnce(lease).whenComplete((answer, error) -> {
              if (answer != null) {
                answered.incrementAndGet();
                if (answer.getTTL() <= 0) {
                  expiredAnswers.incrementAndGet();
                }
              }
            });
            nextKeepAlive += TimeUnit.MILLISECONDS.toNanos(500);
          }
          if (killedAt < 0 && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(5)) {
            keel.member(leader).kill9();
            killedAt = System.nanoTime();
          }
          for (MemberProcess m : survivors) {
            assertThat(serializableGet(m, key)).as("key on %s at %d ms", m.name(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).hasSize(1);
            checks++;
          }
          TimeUnit.MILLISECONDS.sleep(100); // the checker's sampling period
        }
        System.out.printf("LeaseIT: a 2 s lease kept alive by its owner for 20 s through kill -9 of leader %s: %d "
            + "keep-alives answered, key present in all %d checks on the survivors%n",
            keel.member(leader).name(), answered.get(), checks);
        assertThat(killedAt).isPositive();
        assertThat(expiredAnswers.get()).as("keep-alives answered with TTL 0").isZero();
      }
    }
  }

  /** Grants a lease of {@code ttl} seconds and puts {@code key} on it; returns the lease id. */
  private static long putOnNewLease(Client client, ByteSequence key, long ttl) throws Exception {
    long lease = client.getLeaseClient().grant(ttl).get(10, TimeUnit.SECONDS).getID();
    client.getKVClient().put(key, KeelCluster.bytes("v"), PutOption.builder().withLeaseId(lease).build())
        .get(10, TimeUnit.SECONDS);
    return lease;
  }

  private static List<MemberProcess> allBut(ClusterProcesses keel, int index) {
    List<MemberProcess> others = new ArrayList<>(keel.members());
    others.remove(index);
    return others;
  }

  /** A local read on one member: answers even while there is no leader. */
  private static List<KeyValue> serializableGet(MemberProcess member, ByteSequence key) {
    try (Client one = Client.builder().endpoints(member.address().clientUrl()).build()) {
      return one.getKVClient().get(key, GetOption.builder().withSerializable(true).build())
          .get(5, TimeUnit.SECONDS).getKvs();
    } catch (Exception e) {
      throw new IllegalStateException("serializable get on " + member.name(), e);
    }
  }

  private static StreamObserver<LeaseKeepAliveResponse> observer(BlockingQueue<LeaseKeepAliveResponse> answers) {
    return new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse value) {
        answers.add(value);
      }

      @Override
      public void onError(Throwable t) {
        // jetcd restarts the stream itself (e.g. when its member died)
      }

      @Override
      public void onCompleted() {}
    };
  }
}
