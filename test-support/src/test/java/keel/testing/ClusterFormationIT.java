package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Clusters form from etcd's command lines alone: no flags at all, and five members. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterFormationIT {
  @TempDir
  Path workingDir;

  /** `keel server` with no flags is `etcd` with no flags: member `default`, 2379/2380, ./default.keel. */
  @Test
  void noFlagsBehavesLikeEtcdWithNoFlags() throws Exception {
    Path log = workingDir.resolve("keel.log");
    Process keel = new ProcessBuilder(KeelProcesses.command())
        .directory(workingDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    ProcessTrees.register(keel);
    try {
      Etcdctl etcdctl = Etcdctl.of("127.0.0.1:2379");
      Deadlines.await("keel on 127.0.0.1:2379", Duration.ofSeconds(60))
          .until(() -> keel.isAlive() && etcdctl.run("endpoint", "health").succeeded());
      assertThat(etcdctl.run("put", "greeting", "hello").stdout()).isEqualTo("OK\n");
      assertThat(etcdctl.run("get", "greeting", "--print-value-only").stdout()).isEqualTo("hello\n");
      // etcd's well-known ids for a default member: 8e9e05c52164694d in cluster cdf818194e3a8c32.
      String members = etcdctl.run("member", "list").stdout();
      assertThat(members).isEqualTo("8e9e05c52164694d, started, default, http://localhost:2380, http://localhost:2379, false\n");
      assertThat(etcdctl.run("endpoint", "status", "-w", "fields").stdout())
          .contains("\"ClusterID\" : 14841639068965178418");
      assertThat(workingDir.resolve("default.keel")).isDirectory();
    } finally {
      ProcessTrees.stop(keel.toHandle(), Deadlines.scaled(Duration.ofSeconds(10)));
    }
    assertThat(Files.readString(log)).doesNotContain("Exception");
  }

  @Test
  void fiveMembersOnTheirOwnLoopbackAddressesFormOneCluster() {
    ClusterProcesses.Builder builder = KeelProcesses.builder();
    for (int i = 1; i <= 5; i++) {
      builder.member(MemberAddress.withFreePorts("m" + i, "127.0.0." + (10 + i)));
    }
    try (ClusterProcesses keel = builder.start()) {
      Etcdctl first = Etcdctl.of(keel.member(0).address().clientEndpoint());
      assertThat(first.run("put", "five", "members").succeeded()).isTrue();
      for (MemberProcess member : keel.members()) {
        assertThat(Etcdctl.of(member.address().clientEndpoint()).run("get", "five", "--print-value-only").stdout())
            .as("linearizable read on %s", member.name()).isEqualTo("members\n");
      }
      String list = first.run("member", "list").stdout();
      assertThat(list.lines()).hasSize(5);
      for (MemberProcess member : keel.members()) {
        assertThat(list).contains(", started, " + member.name() + ", " + member.address().peerUrl() + ", "
            + member.address().clientUrl() + ", false");
      }
    }
  }
}
