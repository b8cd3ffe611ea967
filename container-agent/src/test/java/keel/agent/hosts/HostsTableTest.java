package keel.agent.hosts;

import static keel.agent.files.ManagedBlockFile.BEGIN;
import static keel.agent.files.ManagedBlockFiles.assertRefusesBrokenBlock;
import static keel.agent.files.ManagedBlockFiles.block;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class HostsTableTest {
  /** What Docker puts into a container's /etc/hosts. */
  static final String DOCKER_HOSTS =
      "127.0.0.1\tlocalhost\n"
          + "::1\tlocalhost ip6-localhost ip6-loopback\n"
          + "fe00::0\tip6-localnet\n"
          + "ff00::0\tip6-mcastprefix\n"
          + "ff02::1\tip6-allnodes\n"
          + "ff02::2\tip6-allrouters\n"
          + "172.28.0.11\tnode1\n";

  @TempDir Path dir;

  @Test
  void rendersOneLinePerEntrySortedByName() {
    String body =
        HostsTable.render(
            List.of(
                HostEntry.of("172.28.0.13", "node3"),
                HostEntry.of("172.28.0.11", "node1", "node1.keel", "leader-candidate"),
                HostEntry.of("172.28.0.12", "node2"),
                HostEntry.of("172.28.0.12", "node2")));

    assertThat(body)
        .isEqualTo(
            "172.28.0.11 node1 node1.keel leader-candidate\n"
                + "172.28.0.12 node2\n"
                + "172.28.0.13 node3\n");
  }

  @Test
  void keepsDockersLinesAndWritesOnlyOnChange() throws IOException {
    Path hosts = dir.resolve("hosts");
    Files.writeString(hosts, DOCKER_HOSTS);
    HostsTable table = new HostsTable(hosts);
    List<HostEntry> members =
        List.of(HostEntry.of("172.28.0.12", "node2"), HostEntry.of("172.28.0.11", "node1"));

    assertThat(table.update(members)).isTrue();
    assertThat(Files.readString(hosts))
        .isEqualTo(DOCKER_HOSTS + block("172.28.0.11 node1\n172.28.0.12 node2\n"));

    assertThat(table.update(List.of(members.get(1), members.get(0)))).isFalse();

    assertThat(table.update(List.of(members.get(1)))).isTrue();
    assertThat(Files.readString(hosts)).isEqualTo(DOCKER_HOSTS + block("172.28.0.11 node1\n"));
  }

  @Test
  void aBrokenBlockIsReportedNotOverwritten() throws IOException {
    Path hosts = dir.resolve("hosts");
    Files.writeString(hosts, DOCKER_HOSTS + BEGIN + "\n172.28.0.11 node1\n");

    assertRefusesBrokenBlock(
        hosts, () -> new HostsTable(hosts).update(List.of(HostEntry.of("10.0.0.1", "a"))));
  }

  @Test
  void entriesMustFitInAHostsFile() {
    assertThatThrownBy(() -> HostEntry.of("10.0.0.1", "two words"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'two words' contains whitespace");
    assertThatThrownBy(() -> new HostEntry("10.0.0.1", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has no names");
    assertThatThrownBy(() -> HostEntry.of("", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ip is empty");
    assertThatThrownBy(() -> HostEntry.of("10.0.0.1", "a#b"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
