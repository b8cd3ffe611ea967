package keel.client.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.LeaseOption;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.client.Backend;
import keel.client.BackendClusters;
import keel.testing.ClusterProcesses;
import keel.testing.Deadlines;
import keel.testing.KeelProcesses;
import keel.testing.MemberProcess;
import keel.testing.ProcessTrees;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Session against Keel and real etcd: kept alive and revoked on close; never silent when the
 * cluster leader is killed; UNCONFIRMED at once when a client process resumes after a pause that
 * outlasted its lease.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SessionIT {
  private static final Duration TTL = Duration.ofSeconds(2);

  @RegisterExtension
  static final BackendClusters clusters = BackendClusters.ofSize(3);

  @TempDir
  Path logs;

  @ParameterizedTest
  @EnumSource(Backend.class)
  void keepsTheLeaseAliveAndCloseRevokesIt(Backend backend) throws Exception {
    Client client = clusters.client(backend);
    Session session = Session.open(client, TTL);
    try {
      long openedAt = System.nanoTime();
      long until = openedAt + 3 * TTL.toNanos();
      Deadlines.await("three TTLs of keep-alive", Duration.ofSeconds(15)).until(() -> {
        assertThat(session.isAlive()).as("alive at %d ms", (System.nanoTime() - openedAt) / 1_000_000).isTrue();
        return System.nanoTime() - until > 0;
      });
      assertThat(session.aliveUntilNanos() - openedAt).as("confirmed well past the first TTL")
          .isGreaterThan(3 * TTL.toNanos());
      assertThat(ttlOnCluster(client, session)).isPositive();
    } finally {
      session.close();
    }
    assertThat(session.lost()).isCompletedWithValueMatching(l -> l.reason() == SessionLost.Reason.CLOSED);
    assertThat(ttlOnCluster(client, session)).as("revoked").isEqualTo(-1);
  }

  @Test
  void openFailsNamingTheEndpointsWhenNothingAnswers() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort(); // closed again: nothing listens there
    }
    try (Client client = BackendClusters.newClient(List.of("http://127.0.0.1:" + port))) {
      assertThatThrownBy(() -> Session.builder(client).ttl(TTL).openTimeout(Duration.ofSeconds(1)).open())
          .isInstanceOf(SessionException.class)
          .hasMessageContaining("127.0.0.1:" + port)
          .hasMessageContaining("no answer to a lease grant (TTL 2 s) within 1000 ms");
    }
  }

  /**
   * kill -9 of the cluster leader: within TTL + a margin the session has either been confirmed by a
   * keep-alive sent after the kill (the lease lives on with the new leader) or reported lost; it never
   * goes silent, and while it says it is alive the cluster agrees.
   */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void aLeaderKillIsSurvivedOrReportedNeverSilent(Backend backend) throws Exception {
    ClusterProcesses cluster = clusters.cluster(backend);
    Duration ttl = Duration.ofSeconds(3);
    try (Client client = clusters.newClient(backend); Session session = Session.open(client, ttl)) {
      int leader = clusters.awaitLeader(backend);
      MemberProcess victim = cluster.member(leader);
      Deadlines.await("a keep-alive confirmed", Duration.ofSeconds(10))
          .until(() -> session.aliveUntilNanos() - System.nanoTime() > ttl.toNanos() / 2);
      victim.kill9();
      long killedAt = System.nanoTime();
      try {
        Deadlines.await("confirmed past the kill, or reported lost", ttl.plusSeconds(3)).until(() ->
            session.lost().isDone() || session.aliveUntilNanos() - ttl.toNanos() - killedAt > 0);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        if (session.lost().isDone()) {
          SessionLost lost = session.lost().get();
          System.out.printf("SessionIT[%s]: session lost %d ms after kill -9 of the leader: %s%n", backend, ms, lost);
          assertThat(lost.reason()).isIn(SessionLost.Reason.UNCONFIRMED, SessionLost.Reason.EXPIRED);
        } else {
          System.out.printf("SessionIT[%s]: session confirmed by the new leader %d ms after kill -9 of the leader%n",
              backend, ms);
          assertThat(session.isAlive()).isTrue();
          try (Client survivors = survivorsClient(cluster, leader)) {
            assertThat(ttlOnCluster(survivors, session)).as("the cluster agrees the lease lives").isPositive();
          }
        }
      } finally {
        victim.restart();
        cluster.awaitHealthy();
      }
    }
  }

  /**
   * A client process paused (SIGSTOP) until the cluster has expired its lease, then resumed
   * (SIGCONT): it reports UNCONFIRMED at once, and only once.
   */
  @ParameterizedTest
  @EnumSource(Backend.class)
  void aPausedClientReportsUnconfirmedAtOnceOnResume(Backend backend) throws Exception {
    ClusterProcesses cluster = clusters.cluster(backend);
    Client client = clusters.client(backend);
    Path out = logs.resolve("probe-" + backend + ".log");
    Process probe = probe(String.join(",", cluster.clientUrls()), out);
    try {
      Deadlines.await("the probe opened its session", Duration.ofSeconds(30))
          .until(() -> read(out).contains("OPEN "));
      String hex = read(out).lines().filter(l -> l.startsWith("OPEN ")).findFirst().orElseThrow().substring(5);
      long leaseId = Long.parseUnsignedLong(hex, 16);
      ProcessTrees.pause(probe.toHandle());
      long pausedAt = System.nanoTime();
      String whilePaused;
      try {
        Deadlines.await("the cluster expired the paused client's lease", Duration.ofSeconds(20)).until(() ->
            client.getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT).get(2, TimeUnit.SECONDS).getTTL() == -1);
        // read before the resume: once resumed, the probe may report at once (that is the point)
        whilePaused = read(out);
      } finally {
        ProcessTrees.resume(probe.toHandle());
      }
      long resumedAt = System.nanoTime();
      assertThat(whilePaused).as("nothing reported while paused").doesNotContain("LOST");
      Deadlines.await("UNCONFIRMED reported upon resume", Duration.ofSeconds(2))
          .until(() -> read(out).contains("LOST "));
      long reportMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAt);
      System.out.printf("SessionIT[%s]: paused %d ms; loss reported %d ms after resume%n", backend,
          TimeUnit.NANOSECONDS.toMillis(resumedAt - pausedAt), reportMs);
      Deadlines.await("no second report", Duration.ofSeconds(2)).pollDelay(Duration.ofMillis(500)).until(() -> true);
      List<String> lost = read(out).lines().filter(l -> l.startsWith("LOST ")).toList();
      assertThat(lost).hasSize(1);
      assertThat(lost.get(0)).startsWith("LOST UNCONFIRMED ");
    } finally {
      ProcessTrees.kill9(probe.toHandle());
    }
  }

  private static Process probe(String endpoints, Path out) throws IOException {
    List<String> command = new ArrayList<>(KeelProcesses.testMain(SessionProbe.class.getName(), "-Xmx128m"));
    command.addAll(List.of(endpoints, Long.toString(TTL.toSeconds())));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    ProcessTrees.register(process);
    return process;
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }

  private static Client survivorsClient(ClusterProcesses cluster, int killed) {
    List<String> urls = new ArrayList<>(cluster.clientUrls());
    urls.remove(killed);
    return BackendClusters.newClient(urls);
  }

  private static long ttlOnCluster(Client client, Session session) throws Exception {
    return client.getLeaseClient().timeToLive(session.leaseId(), LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS)
        .getTTL();
  }
}
