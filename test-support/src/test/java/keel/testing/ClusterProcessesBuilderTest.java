package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command lines the builder works out, for the options that change them per member. */
class ClusterProcessesBuilderTest {
  @Test
  void aWrapperGoesBeforeTheCommandAndAnAdvertisedPeerUrlReplacesTheListenOneForPeersOnly() {
    MemberAddress m1 = new MemberAddress("m1", "127.0.0.1", 20001, 20002);
    MemberAddress m2 = new MemberAddress("m2", "127.0.0.2", 20003, 20004);
    try (ClusterProcesses cluster = ClusterProcesses.builder(List.of("/usr/bin/etcd"))
        .member(m1)
        .member(m2)
        .wrapper("m1", List.of("ip", "netns", "exec", "kn0000-0"))
        .advertisePeerUrl("m2", "http://127.0.0.2:21000")
        .create()) {
      List<String> first = cluster.member(0).command();
      List<String> second = cluster.member(1).command();

      assertThat(first).startsWith("ip", "netns", "exec", "kn0000-0", "/usr/bin/etcd");
      assertThat(second).startsWith("/usr/bin/etcd");
      String initialCluster = "m1=http://127.0.0.1:20002,m2=http://127.0.0.2:21000";
      assertThat(flag(first, "--initial-cluster")).isEqualTo(initialCluster);
      assertThat(flag(second, "--initial-cluster")).isEqualTo(initialCluster);
      assertThat(flag(first, "--listen-peer-urls")).isEqualTo("http://127.0.0.1:20002");
      assertThat(flag(first, "--initial-advertise-peer-urls")).isEqualTo("http://127.0.0.1:20002");
      assertThat(flag(second, "--listen-peer-urls")).isEqualTo("http://127.0.0.2:20004");
      assertThat(flag(second, "--initial-advertise-peer-urls")).isEqualTo("http://127.0.0.2:21000");
    }
  }

  private static String flag(List<String> command, String name) {
    return command.get(command.indexOf(name) + 1);
  }
}
