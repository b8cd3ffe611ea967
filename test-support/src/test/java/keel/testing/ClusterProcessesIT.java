package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The launcher itself, on real etcd: a single member, pause/resume, kill -9 and restart. */
@Timeout(value = 120)
class ClusterProcessesIT {
  @Test
  void singleMemberServesAndCloseLeavesNothingBehind() {
    MemberProcess member;
    try (ClusterProcesses etcd = RealEtcd.start(1)) {
      member = etcd.member(0);
      Etcdctl etcdctl = Etcdctl.of(etcd.clientEndpoints());
      assertThat(etcdctl.run("put", "k", "v").stdout()).isEqualTo("OK\n");
      assertThat(etcdctl.run("get", "k", "--print-value-only").stdout()).isEqualTo("v\n");
    }
    assertThat(member.isAlive()).isFalse();
    assertThat(member.dataDir()).doesNotExist();
    assertThat(member.logFile()).exists();
  }

  @Test
  void pausedMemberIsUnhealthyUntilResumed() {
    try (ClusterProcesses etcd = RealEtcd.start(3)) {
      MemberProcess paused = etcd.member(2);
      Etcdctl one = Etcdctl.of(paused.address().clientEndpoint());
      paused.pause();
      assertThat(one.run("endpoint", "health", "--command-timeout=1s").exitCode()).isNotZero();
      putUntilAccepted(Etcdctl.of(etcd.member(0).address().clientEndpoint())); // the paused one may have led
      paused.resume();
      Deadlines.await("resumed member catches up", Duration.ofSeconds(30))
          .until(() -> one.run("get", "k", "--consistency=s", "--print-value-only").stdout().equals("v\n"));
    }
  }

  @Test
  void killedMemberRestartsOnItsDataDir() {
    try (ClusterProcesses etcd = RealEtcd.start(3)) {
      MemberProcess victim = etcd.member(0);
      long pid = victim.pid();
      victim.kill9();
      assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
      putUntilAccepted(Etcdctl.of(etcd.member(1).address().clientEndpoint())); // the victim may have led
      victim.restart();
      etcd.awaitHealthy();
      assertThat(Etcdctl.of(victim.address().clientEndpoint())
              .run("get", "k", "--consistency=s", "--print-value-only").stdout())
          .isEqualTo("v\n");
    }
  }

  /** put k=v, retried while the survivors elect a new leader. */
  private static void putUntilAccepted(Etcdctl etcdctl) {
    Deadlines.await("put accepted", Duration.ofSeconds(30))
        .until(() -> etcdctl.run("put", "k", "v", "--command-timeout=2s").succeeded());
  }
}
