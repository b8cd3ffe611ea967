package keel.agent.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs Debian's real ssh-keygen (openssh-client), in temporary directories only. */
@Timeout(60)
class SshKeysTest {
  @TempDir Path tmp;

  @Test
  void makesAKeyPairOnceWithTheRealSshKeygen() throws IOException {
    Path dir = tmp.resolve("home/.ssh");

    String publicKey = SshKeys.ensureKeyPair(dir, "root@node1");

    assertThat(publicKey).matches("ssh-ed25519 AAAA[A-Za-z0-9+/=]+ root@node1");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    Path privateKey = dir.resolve("id_ed25519");
    assertThat(Files.readString(privateKey)).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateKey))).isEqualTo("rw-------");
    assertThat(Files.readString(dir.resolve("id_ed25519.pub")).strip()).isEqualTo(publicKey);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("id_ed25519", "id_ed25519.pub");
    }

    byte[] privateBytes = Files.readAllBytes(privateKey);
    assertThat(SshKeys.ensureKeyPair(dir, "root@node1")).isEqualTo(publicKey);
    assertThat(SshKeys.ensureKeyPair(dir, "another comment")).isEqualTo(publicKey);
    assertThat(Files.readAllBytes(privateKey)).as("kept, not regenerated").isEqualTo(privateBytes);
  }

  @Test
  void derivesAMissingPublicKeyFromThePrivateKey() throws IOException {
    Path dir = tmp.resolve(".ssh");
    String publicKey = SshKeys.ensureKeyPair(dir, "root@node2");
    Files.delete(dir.resolve("id_ed25519.pub"));

    String derived = SshKeys.ensureKeyPair(dir, "root@node2");

    assertThat(keyMaterial(derived)).isEqualTo(keyMaterial(publicKey));
    assertThat(dir.resolve("id_ed25519.pub")).exists();
  }

  @Test
  void replacesAPublicKeyWhosePrivateKeyIsGone() throws IOException {
    Path dir = tmp.resolve(".ssh");
    String first = SshKeys.ensureKeyPair(dir, "root@node3");
    Files.delete(dir.resolve("id_ed25519"));

    String second = SshKeys.ensureKeyPair(dir, "root@node3");

    assertThat(keyMaterial(second)).isNotEqualTo(keyMaterial(first));
    assertThat(dir.resolve("id_ed25519")).exists();
  }

  @Test
  void saysWhatToInstallWhenSshKeygenIsMissing() {
    Path dir = tmp.resolve(".ssh");
    assertThatThrownBy(() -> SshKeys.ensureKeyPair(dir, "c", tmp.resolve("no-such-ssh-keygen").toString()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot run " + tmp.resolve("no-such-ssh-keygen"))
        .hasMessageContaining("apt-get install openssh-client");
    assertThat(dir.resolve("id_ed25519")).doesNotExist();
  }

  @Test
  void reportsAFailingSshKeygenWithItsExitCode() throws IOException {
    Path fake = tmp.resolve("fake-ssh-keygen");
    Files.writeString(fake, "#!/bin/sh\necho 'no entropy today' >&2\nexit 3\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    Path dir = tmp.resolve(".ssh");

    assertThatThrownBy(() -> SshKeys.ensureKeyPair(dir, "c", fake.toString()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("failed (exit code 3) to generate a key pair in " + dir + ": no entropy today")
        .hasMessageContaining("-N '' -C c");
    try (var files = Files.list(dir)) {
      assertThat(files).as("no temporary files left behind").isEmpty();
    }
  }

  @Test
  void refusesAMultiLineComment() {
    assertThatThrownBy(() -> SshKeys.ensureKeyPair(tmp, "a\nb"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one line");
  }

  private static String keyMaterial(String publicKeyLine) {
    String[] fields = publicKeyLine.split(" ");
    return fields[0] + " " + fields[1];
  }
}
