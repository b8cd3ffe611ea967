package keel.agent.ssh;

import static keel.agent.files.ManagedBlockFile.BEGIN;
import static keel.agent.files.ManagedBlockFiles.assertRefusesBrokenBlock;
import static keel.agent.files.ManagedBlockFiles.block;
import static keel.agent.files.TestFiles.mode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class AuthorizedKeysTest {
  private static final String USER_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 alice@laptop\n";
  private static final String NODE1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1 root@node1";
  private static final String NODE2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2 root@node2";

  @TempDir Path tmp;

  @Test
  void keepsTheUsersKeysAndListsTheClustersSortedAndOnce() throws IOException {
    Path file = tmp.resolve("authorized_keys");
    Files.writeString(file, USER_KEY);
    AuthorizedKeys keys = new AuthorizedKeys(file);

    assertThat(keys.update(List.of(NODE2, "  " + NODE1 + "\n", NODE2, ""))).isTrue();

    assertThat(Files.readString(file)).isEqualTo(USER_KEY + block(NODE1 + "\n" + NODE2 + "\n"));

    assertThat(keys.update(List.of(NODE2))).isTrue();
    assertThat(Files.readString(file)).isEqualTo(USER_KEY + block(NODE2 + "\n"));
  }

  @Test
  void writesOnlyWhenTheKeysChange() throws IOException {
    Path file = tmp.resolve("authorized_keys");
    AuthorizedKeys keys = new AuthorizedKeys(file);
    assertThat(keys.update(List.of(NODE1, NODE2))).isTrue();
    FileTime longAgo = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(file, longAgo);

    assertThat(keys.update(List.of(NODE2, NODE1, NODE1))).isFalse();

    assertThat(Files.getLastModifiedTime(file)).isEqualTo(longAgo);
  }

  @Test
  void createsTheFileWithMode600AndItsDirectoryWith700() throws IOException {
    Path sshDir = tmp.resolve("root/.ssh");
    Path file = sshDir.resolve("authorized_keys");

    new AuthorizedKeys(file).update(List.of(NODE1));

    assertThat(mode(file)).isEqualTo("rw-------");
    assertThat(mode(sshDir)).isEqualTo("rwx------");
    assertThat(Files.readString(file)).isEqualTo(block(NODE1 + "\n"));
  }

  @Test
  void leavesAnExistingFilesAndDirectorysModesAlone() throws IOException {
    Path file = tmp.resolve("authorized_keys");
    Files.writeString(file, USER_KEY);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-x---"));

    new AuthorizedKeys(file).update(List.of(NODE1));

    assertThat(mode(file)).isEqualTo("rw-r-----");
    assertThat(mode(tmp)).isEqualTo("rwxr-x---");
  }

  @Test
  void refusesWhatIsNotAPublicKeyLine() {
    AuthorizedKeys keys = new AuthorizedKeys(tmp.resolve("authorized_keys"));
    assertThatThrownBy(() -> keys.update(List.of("ssh-ed25519 AAAA root@a\nssh-ed25519 BBBB root@b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one line");
    assertThatThrownBy(() -> keys.update(List.of("justoneword")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'justoneword' is not an OpenSSH public key line");
    assertThat(tmp.resolve("authorized_keys")).doesNotExist();
  }

  @Test
  void aBrokenBlockIsReportedNotOverwritten() throws IOException {
    Path file = tmp.resolve("authorized_keys");
    Files.writeString(file, USER_KEY + BEGIN + "\n" + NODE1 + "\n");

    assertRefusesBrokenBlock(file, () -> new AuthorizedKeys(file).update(List.of(NODE2)));
  }
}
