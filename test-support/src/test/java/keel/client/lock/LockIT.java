package keel.client.lock;

import static keel.client.BackendClusters.bytes;
import static keel.client.BackendClusters.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import keel.client.Backend;
import keel.client.BackendClusters;
import keel.client.session.Session;
import keel.client.session.SessionLostException;
import keel.testing.Deadlines;
import keel.testing.Etcdctl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** DistributedLock against Keel and real etcd, and with {@code etcdctl lock} on the same lock. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockIT {
  private static final Duration TTL = Duration.ofSeconds(3);

  @RegisterExtension
  static final BackendClusters clusters = BackendClusters.ofSize(3);

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void excludesAndIsExcludedByEtcdctlLock(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    String name = clusters.unique("lock");
    Etcdctl etcdctl = Etcdctl.of(clusters.cluster(backend).clientEndpoints());
    try (Session session = Session.open(client, TTL);
        DistributedLock lock = new DistributedLock(client, session, bytes(name))) {
      Future<LockHandle> waiting;
      try (Etcdctl.Background holder = etcdctl.background("lock", name)) {
        holder.awaitStdout(name + "/", Duration.ofSeconds(20)); // etcdctl prints its key once it holds the lock
        assertThat(lock.tryLock()).isEmpty();
        assertThat(lock.tryLock(Duration.ofMillis(300))).isEmpty();
        awaitKeys(client, name, 1); // both attempts withdrew their key
        assertThat(lock.isHeld()).isFalse();
        waiting = threads.submit(lock::lock);
        awaitKeys(client, name, 2);
        assertThat(waiting).as("waits while etcdctl holds the lock").isNotDone();
        holder.terminate(); // etcdctl unlocks on SIGTERM
      }
      LockHandle handle = waiting.get(20, TimeUnit.SECONDS);
      assertThat(lock.isHeld()).isTrue();
      assertThat(text(handle.key())).isEqualTo(name + "/" + Long.toHexString(session.leaseId()));
      assertThat(lock.lock()).as("held: the same handle").isEqualTo(handle);

      try (Etcdctl.Background next = etcdctl.background("lock", name)) {
        awaitKeys(client, name, 2);
        assertThat(next.stdout()).doesNotContain(name + "/");
        lock.unlock();
        next.awaitStdout(name + "/", Duration.ofSeconds(20));
        assertThat(lock.isHeld()).isFalse();
        KeyValue theirs = keys(client, name).get(0);
        assertThat(theirs.getCreateRevision()).as("the next holder's token is larger")
            .isGreaterThan(handle.fencingToken());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aLostSessionDropsTheLockAndFailsAWaiter(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    String name = clusters.unique("lost");
    Session holderSession = Session.open(client, TTL);
    Session waiterSession = Session.open(client, TTL);
    try (DistributedLock holder = new DistributedLock(client, holderSession, bytes(name));
        DistributedLock waiter = new DistributedLock(client, waiterSession, bytes(name))) {
      holder.lock();
      Future<LockHandle> waiting = threads.submit(waiter::lock);
      awaitKeys(client, name, 2);
      waiterSession.close();
      assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SessionLostException.class);
      assertThat(holder.isHeld()).isTrue();

      holderSession.close();
      assertThat(holder.isHeld()).as("dropped as the session is lost").isFalse();
      assertThatThrownBy(holder::lock).isInstanceOf(SessionLostException.class);
      awaitKeys(client, name, 0);
    } finally {
      holderSession.close();
      waiterSession.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void excludesOneAnotherWithGrowingTokens(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    String name = clusters.unique("mutex");
    AtomicInteger inside = new AtomicInteger();
    List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
    List<Future<?>> workers = new ArrayList<>();
    List<Session> sessions = new ArrayList<>();
    try {
      for (int w = 0; w < 3; w++) {
        Session session = Session.open(client, TTL);
        sessions.add(session);
        DistributedLock lock = new DistributedLock(client, session, bytes(name));
        workers.add(threads.submit(() -> {
          for (int i = 0; i < 4; i++) {
            LockHandle handle = lock.lock();
            try {
              assertThat(inside.incrementAndGet()).as("alone in the critical section").isEqualTo(1);
              tokens.add(handle.fencingToken());
              inside.decrementAndGet();
            } finally {
              lock.unlock();
            }
          }
          lock.close();
          return null;
        }));
      }
      for (Future<?> worker : workers) {
        worker.get(60, TimeUnit.SECONDS);
      }
    } finally {
      sessions.forEach(Session::close);
    }
    assertThat(tokens).hasSize(12).isSorted().doesNotHaveDuplicates();
  }

  private static List<KeyValue> keys(Client client, String name) throws Exception {
    return client.getKVClient().get(bytes(name + "/"), GetOption.builder().isPrefix(true).build())
        .get(10, TimeUnit.SECONDS).getKvs();
  }

  private static void awaitKeys(Client client, String name, int count) {
    Deadlines.await(count + " keys under " + name, Duration.ofSeconds(10)).until(() -> keys(client, name).size() == count);
  }
}
