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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Leases on a 3-member Keel of processes: expiry is decided by the leader and reaches every member
 * through the log; keep-alives keep a lease alive across a kill -9 of the leader, and a paused
 * leader can neither renew nor revoke one behind its successor's back.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LeaseIT {
  private static final int RENEWALS_AT_WAKE_UP = 20;

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

  /**
   * A leader paused (SIGSTOP) long enough for the others to elect a successor still believes it
   * leads when it wakes, and it errs two ways unless stopped. A keep-alive waiting in its socket
   * must not be renewed on its own clock, which the successor never sees: the successor would
   * expire the lease on its clock, earlier than the answer promised. Keel confirms leadership with
   * a majority before renewing (etcd's {@code ensureLeadership}), so the renewal lands on the
   * successor (found by the torture run). And on its clocks every lease ran out while it was
   * frozen: the revokes it proposes before it learns of its successor must not remove a lease the
   * successor keeps alive (found by ClusterScenarioIT in CI: they were retried through the
   * successor, which applied them).
   */
  @Test
  void aLeaderWokenFromAPauseNeitherRenewsNorRevokesALeaseOnItsOwnClock() throws Exception {
    try (ClusterProcesses keel = KeelProcesses.builder().size(3).start()) {
      List<URI> endpoints = keel.clientUrls().stream().map(URI::create).toList();
      int leader = Leaders.await(endpoints);
      MemberProcess paused = keel.member(leader);
      List<MemberProcess> others = allBut(keel, leader);
      List<URI> othersEndpoints = others.stream().map(m -> URI.create(m.address().clientUrl())).toList();
      ByteSequence key = KeelCluster.bytes("lease-it/paused-leader");
      ByteSequence keptKey = KeelCluster.bytes("lease-it/kept-through-the-successor");
      long ttl = 6;
      ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor();
      try (Client all = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build();
          Client toOthers = Client.builder().endpoints(othersEndpoints.toArray(URI[]::new)).build();
          Client toPaused = Client.builder().endpoints(paused.address().clientUrl()).build();
          AutoCloseable stopKeeper = keeper::shutdownNow) { // closed first: no keep-alive on a closed client
        long lease = putOnNewLease(all, key, ttl);
        assertThat(toPaused.getLeaseClient().keepAliveOnce(lease).get(10, TimeUnit.SECONDS).getTTL())
            .as("renewed through the leader before the pause").isEqualTo(ttl);
        // A 2 s lease kept alive every 500 ms through the other members, all along: on the paused
        // leader's clock it runs out during the pause.
        long kept = putOnNewLease(all, keptKey, 2);
        AtomicInteger keptExpired = new AtomicInteger();
        keeper.scheduleAtFixedRate(() -> toOthers.getLeaseClient().keepAliveOnce(kept).whenComplete((answer, error) -> {
          if (answer != null && answer.getTTL() <= 0) {
            keptExpired.incrementAndGet();
          }
        }), 0, 500, TimeUnit.MILLISECONDS);
        List<CompletableFuture<LeaseKeepAliveResponse>> renewals = new ArrayList<>();
        long sent;
        paused.pause();
        try {
          Leaders.await(othersEndpoints);
          // The successor restarted the lease's clock when it took over: TTL + an election timeout
          // (1 s) from then, 7 s. A renewal sent 2 s after that (and after the lag of seeing it
          // lead) still reaches the successor in time; were it made on the paused leader's clock
          // instead, it would promise a second or more beyond what the successor keeps.
          TimeUnit.MILLISECONDS.sleep(2000);
          sent = System.nanoTime();
          // Several: the woken member serves them while it races to learn that it was deposed.
          renewals.addAll(SocketQueues.queueInFrozenMember(paused.address().clientPort(), RENEWALS_AT_WAKE_UP,
              () -> toPaused.getLeaseClient().keepAliveOnce(lease), "the renewals"));
        } finally {
          paused.resume();
        }
        long resumed = System.nanoTime();
        for (CompletableFuture<LeaseKeepAliveResponse> renewal : renewals) {
          assertThat(renewal.get(15, TimeUnit.SECONDS).getTTL()).as("renewal answered after the wake-up").isEqualTo(ttl);
        }
        // The answer promised the lease TTL seconds from when the renewal was sent.
        long promisedUntil = sent + TimeUnit.SECONDS.toNanos(ttl) - TimeUnit.MILLISECONDS.toNanos(300);
        int checks = 0;
        while (System.nanoTime() < promisedUntil) {
          for (MemberProcess m : others) {
            assertThat(serializableGet(m, key)).as("key on %s %d ms after the renewal was sent", m.name(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent)).hasSize(1);
            assertThat(serializableGet(m, keptKey)).as("kept-alive key on %s %d ms after the wake-up", m.name(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumed)).hasSize(1);
            checks++;
          }
          TimeUnit.MILLISECONDS.sleep(100); // the checker's sampling period
        }
        assertThat(checks).isPositive();
        assertThat(keptExpired.get()).as("keep-alives of the kept lease answered with TTL 0").isZero();
      }
    }
  }

  /**
   * The case exactly: a key on a 2 s lease whose owner keeps sending keep-alives (one every
   * 500 ms, each on its own, whatever became of the last) survives 12 s that include kill -9 of the
   * leader. No lease can expire while there is no leader, and the new leader restarts every lease's
   * clock when it takes over, so only the owner's persistence matters. Beside it, jetcd's own
   * keep-alive stream on a 6 s lease (it renews every TTL/3 and gives up after one TTL without an
   * answer, too soon for a 2 s lease across an election) goes on being answered after the kill.
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
        long streamed = putOnNewLease(client, KeelCluster.bytes("lease-it/streamed"), 6);
        BlockingQueue<LeaseKeepAliveResponse> streamAnswers = new LinkedBlockingQueue<>();
        List<Long> streamAnswerTimes = new ArrayList<>();
        CloseableClient stream = client.getLeaseClient().keepAlive(streamed, observer(streamAnswers));
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(12);
        long nextKeepAlive = start;
        long killedAt = -1;
        int checks = 0;
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger expiredAnswers = new AtomicInteger();
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
          // the checker's sampling period; the stream's answers are taken as they come
          for (LeaseKeepAliveResponse a; (a = streamAnswers.poll(100, TimeUnit.MILLISECONDS)) != null; ) {
            assertThat(a.getTTL()).as("stream keep-alive answer").isEqualTo(6);
            streamAnswerTimes.add(System.nanoTime());
          }
        }
        stream.close();
        long kill = killedAt;
        long streamAnswersAfterKill = streamAnswerTimes.stream().filter(t -> t > kill).count();
        System.out.printf("LeaseIT: a 2 s lease kept alive by its owner for 12 s through kill -9 of leader %s: %d "
            + "keep-alives answered, key present in all %d checks on the survivors; jetcd's stream answered %d "
            + "times after the kill%n", keel.member(leader).name(), answered.get(), checks, streamAnswersAfterKill);
        assertThat(killedAt).isPositive();
        assertThat(expiredAnswers.get()).as("keep-alives answered with TTL 0").isZero();
        assertThat(streamAnswersAfterKill).as("jetcd's keep-alive stream answered after the kill").isPositive();
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
